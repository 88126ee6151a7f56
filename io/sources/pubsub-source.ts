import { v1 } from "@google-cloud/pubsub";
import { invalidUtf8At, MessageChunk } from "../../transforms/core/chunk";
import { pubsubFailure } from "../pubsub/client";
import { ConnectionState, DEFAULT_RETRY_TIMEOUT_SEC, PubSubConnection, STOPPING_TIMEOUT_MS } from "../pubsub/connection";
import { nowMicros, Source, SourceError } from "./source";

export interface PubSubSourceOptions {
  /** `projects/P/subscriptions/S` */
  subscription: string;
  /** Messages per micro-batch, at most. */
  maxBatch: number;
  /** A micro-batch is cut this long after its first message, full or not. */
  batchWindowMs: number;
  /** Keep pulling until stopped (true), or stop once nothing arrived for `idleMs` (drain). */
  streaming: boolean;
  idleMs: number;
  /** Deadline kept on messages in flight; extended every third of it until they are acked. */
  ackDeadlineSec: number;
  /** A lost connection is retried this long, then the run fails (see PubSubConnection); default DEFAULT_RETRY_TIMEOUT_SEC. */
  retryTimeoutMs?: number;
  /** Told at once when the connection is lost, and when it is back. */
  onConnection?: (state: ConnectionState) => void;
}

/** Pull-request size: the API's maximum. */
const MAX_PULL = 1000;
/** Ack ids per acknowledge/modifyAckDeadline call, well under the 512 KB request limit. */
const ACK_CHUNK = 1000;
/** Pause after an empty pull when idle, so an idle stream does not spin... */
const IDLE_PAUSE_MS = 50;
/** ...and within a batch window, where Pub/Sub (and the emulator) may answer empty while messages are on the way. */
const IN_BATCH_PAUSE_MS = 2;

/** Waits `ms`, or less if `signal` aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function inGroups(ids: readonly string[], call: (group: string[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < ids.length; i += ACK_CHUNK) await call(ids.slice(i, i + ACK_CHUNK));
}

/** A message's publish time (a protobuf Timestamp) in epoch microseconds; Infinity when absent. */
function publishMicros(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return time?.seconds == null ? Infinity : Number(time.seconds) * 1e6 + Math.floor((time.nanos ?? 0) / 1000);
}

/**
 * Micro-batches from a Pub/Sub subscription, by synchronous pull. Messages are
 * acknowledged only when the runner says their results are durable; until
 * then their ack deadline is extended, so a slow commit does not cause a
 * redelivery. A message the process never acks (crash, kill -9) is redelivered
 * by Pub/Sub after its deadline, and the keyed sink drops what was already stored.
 * A lost connection is retried for a bounded time (PubSubConnection); once
 * stopped, nothing waits for Pub/Sub for more than a moment.
 */
export class PubSubSource implements Source {
  readonly description: string;
  readonly bounded = false;
  private readonly inFlight = new Set<string>();
  private extender?: NodeJS.Timeout;
  private readonly connection: PubSubConnection;
  /** Aborted once the run stops: calls are then brief, and skipped while the connection is lost. */
  private stop?: AbortSignal;
  /** Messages pulled and acknowledged, for the live status. */
  pulled = 0;
  acked = 0;

  constructor(private readonly api: v1.SubscriberClient, private readonly options: PubSubSourceOptions) {
    this.description = `Pub/Sub ${options.subscription}${options.streaming ? " (streaming)" : " (drain)"}`;
    this.connection = new PubSubConnection(options.subscription, options.retryTimeoutMs ?? DEFAULT_RETRY_TIMEOUT_SEC * 1000, (state) => {
      if (!this.stop?.aborted) options.onConnection?.(state); // once stopping, nothing is retried: nothing to say
    });
  }

  async *chunks(signal?: AbortSignal): AsyncGenerator<MessageChunk> {
    const o = this.options;
    this.stop = signal;
    this.extender = setInterval(() => void this.extendDeadlines(), (o.ackDeadlineSec * 1000) / 3);
    try {
      let lastMessageAt = Date.now();
      while (!signal?.aborted) {
        const batch = await this.pullBatch(signal);
        if (batch.ids.length > 0) {
          lastMessageAt = Date.now();
          yield batch;
        } else if (!o.streaming && Date.now() - lastMessageAt >= o.idleMs) {
          return;
        }
      }
    } finally {
      clearInterval(this.extender);
    }
  }

  /** Pulls until the batch is full, its window has passed, or (empty) a pull came back empty. */
  private async pullBatch(signal?: AbortSignal): Promise<MessageChunk> {
    const o = this.options;
    const ids: string[] = [], ackIds: string[] = [], payloads: string[] = [];
    const undecodable: (string | undefined)[] = [];
    let windowEnds = Infinity;
    let publishedAt = Infinity;
    while (ids.length < o.maxBatch && Date.now() < windowEnds && !signal?.aborted) {
      const pulled = await this.connection
        .retried((call) => this.api.pull({ subscription: o.subscription, maxMessages: Math.min(MAX_PULL, o.maxBatch - ids.length), returnImmediately: true }, call), signal)
        .catch(pubsubFailure(SourceError, `subscription ${o.subscription}`));
      const received = pulled?.[0].receivedMessages ?? [];
      for (const m of received) {
        ids.push(String(m.message?.messageId ?? ""));
        ackIds.push(String(m.ackId));
        const data = Buffer.from((m.message?.data as Uint8Array | string | undefined) ?? "");
        const payload = data.toString("utf8");
        // Invalid bytes decode to U+FFFD: only such messages are checked byte by byte, and become invalid_utf8 dead letters.
        undecodable.push(payload.includes("\ufffd") ? invalidUtf8At(data, "message") : undefined);
        payloads.push(payload);
        this.inFlight.add(String(m.ackId));
        publishedAt = Math.min(publishedAt, publishMicros(m.message?.publishTime));
      }
      this.pulled += received.length;
      if (received.length > 0 && windowEnds === Infinity) windowEnds = Date.now() + o.batchWindowMs;
      if (received.length === 0) {
        if (ids.length === 0) break;
        await sleep(Math.min(IN_BATCH_PAUSE_MS, windowEnds - Date.now()), signal);
      }
    }
    if (ids.length === 0 && !signal?.aborted) await sleep(IDLE_PAUSE_MS, signal);
    return {
      kind: "messages",
      source: o.subscription,
      ids,
      ackIds,
      payloads,
      undecodable: undecodable.some((at) => at !== undefined) ? undecodable : undefined,
      receivedAt: nowMicros(),
      publishedAt: Number.isFinite(publishedAt) ? publishedAt : undefined,
    };
  }

  /** Extends the deadlines of what is in flight; a failed extension is made up for by the next. */
  private async extendDeadlines(): Promise<void> {
    const ids = [...this.inFlight];
    await inGroups(ids, (group) =>
      this.connection.once((call) => this.api.modifyAckDeadline({ subscription: this.options.subscription, ackIds: group, ackDeadlineSeconds: this.options.ackDeadlineSec }, call)),
    );
  }

  /**
   * Acknowledges committed messages, retrying while the connection is lost.
   * Once stopped, what cannot be acknowledged at once stays unacknowledged:
   * Pub/Sub redelivers it and the next run skips it (the sink's ledger).
   */
  async acknowledge(ackIds: readonly string[]): Promise<void> {
    await inGroups(ackIds, async (group) => {
      const done = await this.connection
        .retried((call) => this.api.acknowledge({ subscription: this.options.subscription, ackIds: group }, call), this.stop)
        .catch(pubsubFailure(SourceError, `subscription ${this.options.subscription}`));
      if (done === undefined) return;
      for (const id of group) this.inFlight.delete(id);
      this.acked += group.length;
    });
  }

  /** Messages pulled but not acknowledged (in flight). */
  get backlog(): number {
    return this.inFlight.size;
  }

  /** Hands back what was pulled and never acknowledged, for immediate redelivery (not while the connection is lost), and closes the client. */
  async close(): Promise<void> {
    clearInterval(this.extender);
    const ids = this.connection.lost ? [] : [...this.inFlight];
    await inGroups(ids, (group) =>
      this.connection.once((call) => this.api.modifyAckDeadline({ subscription: this.options.subscription, ackIds: group, ackDeadlineSeconds: 0 }, call), STOPPING_TIMEOUT_MS),
    );
    await this.api.close();
  }
}
