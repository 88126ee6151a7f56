import { pubsubClient, subscriberApi } from "../../io/pubsub/client";
import { countWaiting } from "../../io/pubsub/dead-letters";
import { subscriptionPath, TOPICS } from "../../io/pubsub/names";
import { DuckDbSink } from "../../io/sinks/duckdb-sink";
import { PubSubSource } from "../../io/sources/pubsub-source";
import { Source } from "../../io/sources/source";
import { SourceGauges } from "./metrics";
import { DashboardServer, FollowedRun } from "./server";

/** How often the dead-letter subscription is counted: each count pulls its messages and hands them back. */
const DEAD_LETTER_COUNT_MS = 60_000;

/** The gauges of a Pub/Sub run: its unacknowledged messages, and its dead-letter subscription counted every minute. */
async function pubsubGauges(pipeline: string, project: string, source: PubSubSource, subscription: string): Promise<SourceGauges & { stop(): Promise<void> }> {
  const api = await subscriberApi(pubsubClient(project));
  const deadLetters = subscriptionPath(project, TOPICS[pipeline].deadLetterSubscription);
  let waiting: number | undefined;
  const count = (): Promise<void> =>
    countWaiting(api, deadLetters).then(
      (n) => void (waiting = n),
      () => undefined, // no dead-letter subscription: the gauge stays absent
    );
  const counting = count();
  const timer = setInterval(() => void count(), DEAD_LETTER_COUNT_MS).unref();
  return {
    subscription,
    unacked: () => source.backlog,
    deadLetterBacklog: () => waiting,
    async stop() {
      clearInterval(timer);
      await counting;
      await api.close();
    },
  };
}

/**
 * Has the dashboard follow a direct run whose DuckDB sink is open: its pages
 * read through a connection of the sink's own instance, and every commit
 * updates the metrics and the pages. Call `end` before the sink closes.
 */
export async function followRun(dashboard: DashboardServer, pipeline: string, sink: DuckDbSink, source: Source, settings: { project: string; subscription: string }): Promise<FollowedRun> {
  const gauges = source instanceof PubSubSource ? await pubsubGauges(pipeline, settings.project, source, settings.subscription) : undefined;
  const followed = await dashboard.follow(pipeline, await sink.readerConnection(), gauges);
  return {
    onCommit: followed.onCommit,
    async end() {
      await gauges?.stop();
      await followed.end();
    },
  };
}
