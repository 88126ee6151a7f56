import { PubSub } from "@google-cloud/pubsub";
import { PipelineTopics, subscriptionPath, topicPath } from "./names";

/** Subscription settings `ensure` creates with (and Terraform will declare). */
export const SUBSCRIPTION_SETTINGS = {
  ackDeadlineSeconds: 60,
  /** 7 days: a pipeline can be down for a week without losing input. */
  messageRetentionSeconds: 7 * 24 * 3600,
  /** After this many deliveries Pub/Sub moves a message to the dead-letter topic. */
  maxDeliveryAttempts: 5,
  minimumBackoffSeconds: 10,
  maximumBackoffSeconds: 600,
} as const;

export interface EnsureResult {
  readonly resource: string;
  readonly action: "created" | "exists";
}

async function ensureTopic(pubsub: PubSub, project: string, name: string): Promise<EnsureResult> {
  const topic = pubsub.topic(name);
  const resource = `topic ${topicPath(project, name)}`;
  if ((await topic.exists())[0]) return { resource, action: "exists" };
  await topic.create();
  return { resource, action: "created" };
}

async function ensureSubscription(pubsub: PubSub, project: string, topic: string, name: string, deadLetterTopic?: string): Promise<EnsureResult> {
  const resource = `subscription ${subscriptionPath(project, name)}`;
  if ((await pubsub.subscription(name).exists())[0]) return { resource, action: "exists" };
  const s = SUBSCRIPTION_SETTINGS;
  await pubsub.topic(topic).createSubscription(name, {
    ackDeadlineSeconds: s.ackDeadlineSeconds,
    messageRetentionDuration: { seconds: s.messageRetentionSeconds },
    retryPolicy: { minimumBackoff: { seconds: s.minimumBackoffSeconds }, maximumBackoff: { seconds: s.maximumBackoffSeconds } },
    ...(deadLetterTopic ? { deadLetterPolicy: { deadLetterTopic: topicPath(project, deadLetterTopic), maxDeliveryAttempts: s.maxDeliveryAttempts } } : {}),
  });
  return { resource, action: "created" };
}

/**
 * Creates what a pipeline reads from, if missing (the playback spec's ensure-resources
 * step): its topic, a dead-letter topic with a subscription that keeps what
 * lands there, and its subscription with ack deadline, retention, retry and
 * dead-letter policy. Existing resources are left as they are.
 */
export async function ensureTopics(pubsub: PubSub, project: string, names: PipelineTopics): Promise<EnsureResult[]> {
  return [
    await ensureTopic(pubsub, project, names.topic),
    await ensureTopic(pubsub, project, names.deadLetterTopic),
    await ensureSubscription(pubsub, project, names.deadLetterTopic, names.deadLetterSubscription),
    await ensureSubscription(pubsub, project, names.topic, names.subscription, names.deadLetterTopic),
  ];
}
