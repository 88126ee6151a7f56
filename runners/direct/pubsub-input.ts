import { v1 } from "@google-cloud/pubsub";
import { pubsubClient, subscriberApi } from "../../io/pubsub/client";
import { ConnectionState } from "../../io/pubsub/connection";
import { COUNT_LIMIT, countWaiting } from "../../io/pubsub/dead-letters";
import { subscriptionOf, subscriptionPath, TOPICS } from "../../io/pubsub/names";
import { SUBSCRIPTION_SETTINGS } from "../../io/pubsub/resources";
import { PubSubSource } from "../../io/sources/pubsub-source";
import { formatCount } from "../../pipelines/format";
import { DirectSettings } from "../settings";

/** Says, before reading, when messages wait in the pipeline's dead-letter subscription (after failed deliveries): how many, and how to move them back. */
async function reportDeadLetters(api: v1.SubscriberClient, pipeline: string, project: string): Promise<void> {
  const subscription = subscriptionPath(project, TOPICS[pipeline].deadLetterSubscription);
  const waiting = await countWaiting(api, subscription).catch(() => 0); // no dead-letter subscription: nothing waits
  if (waiting === 0) return;
  const count = waiting >= COUNT_LIMIT ? `${formatCount(COUNT_LIMIT)} or more` : formatCount(waiting);
  process.stderr.write(
    `dead-letter subscription ${subscription}: ${count} message${waiting === 1 ? "" : "s"} waiting (after the cause is fixed: npm run resources -- replay-dead-letters --pipeline ${pipeline})\n`,
  );
}

/** The pipeline's subscription as a source (--source=pubsub), after saying what waits in its dead letters. */
export async function openPubSubSource(pipeline: string, settings: Extract<DirectSettings, { source: "pubsub" }>, onConnection: (state: ConnectionState) => void): Promise<PubSubSource> {
  const api = await subscriberApi(pubsubClient(settings.project));
  await reportDeadLetters(api, pipeline, settings.project);
  return new PubSubSource(api, {
    subscription: subscriptionOf(pipeline, settings.project, settings.subscription),
    maxBatch: settings.maxBatch,
    batchWindowMs: settings.batchWindowMs,
    streaming: settings.streaming,
    idleMs: settings.idleMs,
    ackDeadlineSec: SUBSCRIPTION_SETTINGS.ackDeadlineSeconds,
    retryTimeoutMs: settings.retryTimeoutSec * 1000,
    onConnection,
  });
}
