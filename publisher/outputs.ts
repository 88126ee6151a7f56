import { createWriteStream, WriteStream } from "fs";
import { PubSub, Topic } from "@google-cloud/pubsub";
import { checkCredentials, PubSubError, pubsubFailure } from "../io/pubsub/client";

/** Where the publisher sends events. `send` may buffer; `close` resolves once everything was delivered. */
export interface PublisherOutput {
  readonly description: string;
  send(line: string, attributes: Record<string, string>): void;
  /** Delivered so far, and failures (with the first error's message). */
  readonly delivered: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Resolves when fewer than `limit` sends are outstanding (backpressure). */
  drain(limit: number): Promise<void>;
  close(): Promise<void>;
}

/** Publishes to a topic (created if missing), batched by the client library. */
export class PubSubOutput implements PublisherOutput {
  delivered = 0;
  errors = 0;
  firstError?: string;
  private outstanding = new Set<Promise<unknown>>();

  private constructor(readonly description: string, private readonly pubsub: PubSub, private readonly topic: Topic) {}

  static async open(pubsub: PubSub, project: string, name: string): Promise<PubSubOutput> {
    await checkCredentials(pubsub);
    const topic = pubsub.topic(name, { batching: { maxMessages: 1000, maxMilliseconds: 10 } });
    const fail = pubsubFailure(PubSubError, `topic projects/${project}/topics/${name}`);
    if (!(await topic.exists().catch(fail))[0]) await topic.create().catch(fail);
    return new PubSubOutput(`Pub/Sub projects/${project}/topics/${name}`, pubsub, topic);
  }

  send(line: string, attributes: Record<string, string>): void {
    const sent: Promise<unknown> = this.topic
      .publishMessage({ data: Buffer.from(line), attributes })
      .then(() => this.delivered++)
      .catch((error: Error) => {
        this.errors++;
        this.firstError ??= error.message;
      })
      .finally(() => this.outstanding.delete(sent));
    this.outstanding.add(sent);
  }

  async drain(limit: number): Promise<void> {
    while (this.outstanding.size >= limit) await Promise.race(this.outstanding);
  }

  async close(): Promise<void> {
    await this.topic.flush();
    await Promise.all(this.outstanding);
    await this.pubsub.close();
  }
}

/** JSON lines to a file (appended) or to stdout. */
export class LinesOutput implements PublisherOutput {
  delivered = 0;
  errors = 0;
  firstError?: string;
  private readonly stream: NodeJS.WritableStream & { writableNeedDrain: boolean };

  constructor(readonly description: string, path?: string) {
    this.stream = path ? createWriteStream(path, { flags: "a" }) : process.stdout;
  }

  send(line: string): void {
    this.stream.write(`${line}\n`);
    this.delivered++;
  }

  async drain(): Promise<void> {
    if (this.stream.writableNeedDrain) await new Promise((resolve) => this.stream.once("drain", resolve));
  }

  async close(): Promise<void> {
    if (this.stream === process.stdout) return;
    await new Promise((resolve) => (this.stream as WriteStream).end(resolve));
  }
}
