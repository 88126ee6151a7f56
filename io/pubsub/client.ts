import { connect } from "net";
import { PubSub, v1 } from "@google-cloud/pubsub";

/** A Pub/Sub client for `project`; with PUBSUB_EMULATOR_HOST set it talks to the emulator. */
export function pubsubClient(project: string): PubSub {
  // Against the emulator there is no metadata server to probe for credentials: skip the probe and its warnings.
  if (process.env.PUBSUB_EMULATOR_HOST) process.env.METADATA_SERVER_DETECTION ??= "none";
  return new PubSub({ projectId: project });
}

import { PubSubError } from "./errors";

export { PubSubError };

/**
 * What went wrong talking to Pub/Sub, as one line a person can act on, for
 * the mistakes people make: no emulator and no credentials, an emulator that
 * is not running, a topic or subscription that does not exist yet.
 */
export function explainPubSubError(error: unknown, resource: string): string {
  const e = error as { code?: number; message?: string };
  const message = e.message ?? String(error);
  const host = process.env.PUBSUB_EMULATOR_HOST;
  if (/default credentials/i.test(message)) {
    return `cannot reach Pub/Sub: no Google credentials. Locally, start the emulator (npm run emulator) and export PUBSUB_EMULATOR_HOST`;
  }
  if (e.code === 5 || /NOT_FOUND/.test(message)) return `${resource} does not exist (npm run resources -- ensure creates the defaults)`;
  if (e.code === 14 || /UNAVAILABLE|ECONNREFUSED/.test(message)) {
    return `cannot reach Pub/Sub${host ? ` at ${host} (PUBSUB_EMULATOR_HOST): is the emulator running?` : ": the service is unavailable"}`;
  }
  return `Pub/Sub (${resource}): ${message.split("\n")[0]}`;
}

/** Wraps a Pub/Sub error as `Wrapper` with `explainPubSubError`'s message. */
export function pubsubFailure<E extends Error>(Wrapper: new (message: string) => E, resource: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof Wrapper) throw error; // explained already
    throw new Wrapper(explainPubSubError(error, resource));
  };
}

/** Resolves once a TCP connection to `host:port` opens; rejects after `timeoutMs` or on refusal. */
function probe(hostPort: string, timeoutMs: number): Promise<void> {
  const at = hostPort.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(hostPort.slice(at + 1)), hostPort.slice(0, at));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error("timed out")));
    socket.once("connect", () => (socket.end(), resolve()));
    socket.once("error", reject);
  });
}

/**
 * Checks, before the first call, what people get wrong: with
 * PUBSUB_EMULATOR_HOST, that something listens there (the client library
 * would retry for a minute); without it, that there are credentials (the
 * library would fail inside a stub it creates lazily, with a rejection nobody
 * can catch).
 */
export async function checkCredentials(pubsub: PubSub): Promise<void> {
  const host = process.env.PUBSUB_EMULATOR_HOST;
  if (host) {
    await probe(host, 3000).catch(() => {
      throw new PubSubError(`nothing listens at ${host} (PUBSUB_EMULATOR_HOST): start the emulator with npm run emulator`);
    });
    return;
  }
  await pubsub.auth.getClient().catch(pubsubFailure(PubSubError, "credentials"));
}

/** The low-level subscriber API (synchronous pull, ack, modifyAckDeadline) on the same connection settings. */
export async function subscriberApi(pubsub: PubSub): Promise<v1.SubscriberClient> {
  await checkCredentials(pubsub);
  return new v1.SubscriberClient((await pubsub.getClientConfig()) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
}
