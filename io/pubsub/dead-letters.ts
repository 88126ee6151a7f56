/**
 * The messages Pub/Sub moved to a pipeline's dead-letter topic (after
 * `maxDeliveryAttempts` failed deliveries: a broken warehouse, a crash loop),
 * kept by its dead-letter subscription: counted at the start of a run, and
 * moved back to the input topic once the cause is fixed.
 */
import { PubSub, v1 } from "@google-cloud/pubsub";
import { CALL_TIMEOUT_MS, CallSettings } from "./connection";

/** Per pull: Pub/Sub's own maximum. */
const PULL_SIZE = 1000;
/** Counting stops here: the start of a run is not the place to read a whole backlog. */
export const COUNT_LIMIT = 10_000;
/** Empty pulls in a row before a subscription counts as empty (the emulator's pull may come back empty once with messages waiting). */
const EMPTY_PULLS = 3;

/** Pulls what waits (leasing it), passing each batch to `handle`, until `limit` messages or empty pulls. */
async function pullAll(api: v1.SubscriberClient, subscription: string, limit: number, handle: (messages: PulledMessage[]) => Promise<void>, call?: CallSettings): Promise<number> {
  let seen = 0;
  for (let empty = 0; empty < EMPTY_PULLS && seen < limit; ) {
    const response = (await api.pull({ subscription, maxMessages: Math.min(PULL_SIZE, limit - seen), returnImmediately: true }, call))[0];
    const received = (response.receivedMessages ?? []) as PulledMessage[];
    empty = received.length === 0 ? empty + 1 : 0;
    seen += received.length;
    if (received.length > 0) await handle(received);
  }
  return seen;
}

type PulledMessage = { ackId?: string | null; message?: { data?: Uint8Array | string | null; attributes?: Record<string, string> | null } | null };

/** Calls that give up quickly, without the client library's retries. */
const BRIEF: CallSettings = { timeout: CALL_TIMEOUT_MS, retry: null };

const ackIdsOf = (messages: readonly PulledMessage[]): string[] => messages.map((m) => String(m.ackId));

/**
 * How many messages wait in `subscription`, up to COUNT_LIMIT. Pub/Sub has no
 * count in its API (Cloud Monitoring has, with minutes of delay): the messages
 * are pulled and handed back at once, so nothing changes but their delivery count.
 * Each call gets CALL_TIMEOUT_MS and no retries: a frozen Pub/Sub does not hold up the start of a run.
 */
export async function countWaiting(api: v1.SubscriberClient, subscription: string): Promise<number> {
  const leased: string[] = [];
  try {
    return await pullAll(api, subscription, COUNT_LIMIT, async (messages) => void leased.push(...ackIdsOf(messages)), BRIEF);
  } finally {
    for (let i = 0; i < leased.length; i += PULL_SIZE) await api.modifyAckDeadline({ subscription, ackIds: leased.slice(i, i + PULL_SIZE), ackDeadlineSeconds: 0 }, BRIEF);
  }
}

/**
 * Moves every message waiting in `subscription` to `topic`, data and
 * attributes as they were: each is acknowledged only after its copy was
 * published, so a failure half-way loses nothing (what was not acknowledged is
 * delivered again; a message may then be published twice, which the
 * pipelines' keyed tables store once). Returns how many it moved.
 */
export async function moveMessages(api: v1.SubscriberClient, pubsub: PubSub, subscription: string, topic: string): Promise<number> {
  const target = pubsub.topic(topic);
  return pullAll(api, subscription, Infinity, async (messages) => {
    await Promise.all(messages.map((m) => target.publishMessage({ data: Buffer.from(m.message?.data ?? ""), attributes: m.message?.attributes ?? {} })));
    await api.acknowledge({ subscription, ackIds: ackIdsOf(messages) });
  });
}
