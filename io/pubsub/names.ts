/**
 * Project and resource names: the CLI's defaults, which `resources ensure`
 * creates and Terraform declares (a test checks they agree). The playback
 * topic and subscription keep the names the players' publisher uses.
 */
export const DEFAULT_PROJECT = process.env.PUBSUB_PROJECT_ID ?? process.env.GOOGLE_CLOUD_PROJECT ?? "local-project";

export interface PipelineTopics {
  /** Where publishers send the pipeline's input. */
  readonly topic: string;
  /** What the pipeline reads. */
  readonly subscription: string;
  /** Where Pub/Sub moves a message it failed to deliver `maxDeliveryAttempts` times. */
  readonly deadLetterTopic: string;
  /** Keeps the dead-lettered messages until someone looks. */
  readonly deadLetterSubscription: string;
}

function topicsFor(topic: string): PipelineTopics {
  return { topic, subscription: `${topic}-sub`, deadLetterTopic: `${topic}-dead-letter`, deadLetterSubscription: `${topic}-dead-letter-sub` };
}

/** Per pipeline (and publisher kind): its Pub/Sub names. */
export const TOPICS: Record<string, PipelineTopics> = {
  alerts: topicsFor("video-playback-events"),
  conversations: topicsFor("customer-courier-conversations"),
  /** The OTT pipeline: viewing events of both shapes. */
  ott: topicsFor("ott-viewing-events"),
};

export const topicPath = (project: string, topic: string): string => `projects/${project}/topics/${topic}`;
export const subscriptionPath = (project: string, subscription: string): string => `projects/${project}/subscriptions/${subscription}`;

/** The subscription a pipeline reads, as a full path: `given` (a name or a path), else the pipeline's own. */
export function subscriptionOf(pipeline: string, project: string, given?: string): string {
  const name = given ?? TOPICS[pipeline].subscription;
  return name.startsWith("projects/") ? name : subscriptionPath(project, name);
}
