import { PubSub, v1 } from "@google-cloud/pubsub";

/** A Pub/Sub client for `project`; with PUBSUB_EMULATOR_HOST set it talks to the emulator. */
export function pubsubClient(project: string): PubSub {
  // Against the emulator there is no metadata server to probe for credentials: skip the probe and its warnings.
  if (process.env.PUBSUB_EMULATOR_HOST) process.env.METADATA_SERVER_DETECTION ??= "none";
  return new PubSub({ projectId: project });
}

/** The low-level subscriber API (synchronous pull, ack, modifyAckDeadline) on the same connection settings. */
export async function subscriberApi(pubsub: PubSub): Promise<v1.SubscriberClient> {
  return new v1.SubscriberClient((await pubsub.getClientConfig()) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
}
