import { PubSub, v1 } from "@google-cloud/pubsub";
import { formatCount } from "../pipelines/format";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { pubsubClient, subscriberApi } from "../io/pubsub/client";
import { startEmulator } from "../io/pubsub/emulator";
import { subscriptionPath } from "../io/pubsub/names";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
import { PubSubSource } from "../io/sources/pubsub-source";
import { alertsPipeline } from "../pipelines/alerts/pipeline";
import { RowObserver } from "../pipelines/definition";
import { PlaybackGenerator } from "../samples/playback";
import { drive } from "../runners/direct/driver";
import { inlineExecutor } from "../runners/direct/inline-executor";
import { Row } from "../schemas/table";

const PROJECT = "bench-project";
const fmt = formatCount;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freshSubscription(pubsub: PubSub, name: string): Promise<string> {
  const topic = (await pubsub.createTopic(name))[0];
  await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 60 });
  return subscriptionPath(PROJECT, `${name}-sub`);
}

/** Publishes `count` playback events as fast as the client batches them; returns the publish rate (msg/s). */
async function publishBacklog(pubsub: PubSub, topicName: string, count: number, seed: number): Promise<number> {
  const topic = pubsub.topic(topicName, { batching: { maxMessages: 1000, maxMilliseconds: 10 } });
  const generator = new PlaybackGenerator({ seed });
  const started = Date.now();
  let pending: Promise<string>[] = [];
  for (let i = 0; i < count; i++) {
    pending.push(topic.publishMessage({ data: Buffer.from(JSON.stringify(generator.next())) }));
    if (pending.length === 10_000) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  return (count / (Date.now() - started)) * 1000;
}

/** The emulator's ceiling: one sequential loop of synchronous pulls of 1,000 and acks, nothing else. */
async function rawPullAck(api: v1.SubscriberClient, subscription: string, count: number): Promise<number> {
  const started = Date.now();
  let got = 0;
  while (got < count) {
    const response = (await api.pull({ subscription, maxMessages: 1000, returnImmediately: true }))[0];
    const ackIds = (response.receivedMessages ?? []).map((m) => String(m.ackId));
    if (ackIds.length > 0) await api.acknowledge({ subscription, ackIds });
    got += ackIds.length;
  }
  return (count / (Date.now() - started)) * 1000;
}

interface PipelineRun {
  read: number;
  firstCommitAt: number;
  lastCommitAt: number;
  started: number;
}

/** The alerts pipeline on the direct runner over a subscription, in this process; `observe` sees each committed batch. */
async function runPipeline(pubsub: PubSub, subscription: string, warehouse: string, streaming: boolean, observe: RowObserver, signal?: AbortSignal): Promise<PipelineRun> {
  const source = new PubSubSource(await subscriberApi(pubsub), { subscription, maxBatch: 1000, batchWindowMs: 250, streaming, idleMs: 500, ackDeadlineSec: 60 });
  const sink = new DuckDbSink(warehouse);
  await sink.open(alertsPipeline.tables);
  const run: PipelineRun = { read: 0, firstCommitAt: 0, lastCommitAt: 0, started: Date.now() };
  await drive(source, sink, inlineExecutor(alertsPipeline, { bufferThresholdMs: 4000, sampleEvents: 0 }), observe, {
    definition: alertsPipeline,
    bundleBytes: 4 << 20,
    maxInFlight: 2,
    commit: { maxRows: 50_000, maxDelayMs: 250 },
    signal,
    onCommit: (totals) => {
      run.read = totals.counters.records_read ?? 0;
      run.lastCommitAt = Date.now();
      run.firstCommitAt ||= run.lastCommitAt;
    },
  });
  await source.close();
  await sink.close();
  return run;
}

/** Publishes at `eps` for `seconds` while a streaming pipeline runs; sorted publish-to-commit latencies of the alert rows. */
async function latencyRun(pubsub: PubSub, dir: string, eps: number, seconds: number): Promise<number[]> {
  const live = await freshSubscription(pubsub, "live");
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const stop = new AbortController();
  const pipeline = runPipeline(pubsub, live, join(dir, "live.duckdb"), true, (table: string, rows: readonly Row[]) => {
    if (table !== "video_playback_alerts") return;
    const now = Date.now();
    for (const row of rows) latencies.push(now - sentAt.get(row.event_id as number)!);
  }, stop.signal);
  const topic = pubsub.topic("live", { batching: { maxMessages: 100, maxMilliseconds: 5 } });
  const generator = new PlaybackGenerator({ seed: 3, startMicros: Date.now() * 1000, meanGapMicros: 1e6 / eps });
  const started = Date.now();
  let sent = 0;
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * eps);
    for (; sent < due; sent++) {
      const event = generator.next();
      sentAt.set(event.event_id as number, Date.now());
      void topic.publishMessage({ data: Buffer.from(JSON.stringify(event)) });
    }
    await sleep(5);
  }
  await topic.flush();
  await sleep(3000); // let the last batches commit
  stop.abort();
  await pipeline;
  latencies.sort((a, b) => a - b);
  return latencies;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** `npm run bench -- streaming`: emulator ceiling, pipeline throughput, and publish-to-commit latency at a fixed rate. */
/**
 * Runs `measure` against a fresh emulator: the emulator slows down as it
 * accumulates topics and acked messages, so each figure gets the same start.
 */
async function onFreshEmulator<T>(measure: (pubsub: PubSub, api: v1.SubscriberClient) => Promise<T>): Promise<T> {
  const emulator = await startEmulator(PROJECT);
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  const pubsub = pubsubClient(PROJECT);
  const api = await subscriberApi(pubsub);
  try {
    return await measure(pubsub, api);
  } finally {
    await api.close();
    await pubsub.close();
    await emulator.stop();
  }
}

export async function streamingBenchmark(messages: number, eps: number, seconds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bva-stream-"));
  try {
    const rates = await onFreshEmulator(async (pubsub, api) => {
      const raw = await freshSubscription(pubsub, "raw");
      const publishRate = await publishBacklog(pubsub, "raw", messages, 1);
      return { publishRate, ceiling: await rawPullAck(api, raw, messages) };
    });
    const publishRate = rates.publishRate, ceiling = rates.ceiling;
    const pipelineRate = await onFreshEmulator(async (pubsub) => {
      const backlog = await freshSubscription(pubsub, "backlog");
      await publishBacklog(pubsub, "backlog", messages, 1);
      const drained = await runPipeline(pubsub, backlog, join(dir, "backlog.duckdb"), false, () => undefined);
      return (drained.read / (drained.lastCommitAt - drained.started)) * 1000;
    });

    // Latency: publish at a fixed rate while a streaming pipeline runs; time from publish to the commit of each alert row.
    const latencies = await onFreshEmulator((pubsub) => latencyRun(pubsub, dir, eps, seconds));


    console.log(`streaming benchmark: Pub/Sub emulator (real), ${fmt(messages)} messages; direct runner in one process`);
    console.log("");
    console.log(`publish, client batching          ${fmt(publishRate).padStart(8)} msg/s`);
    console.log(`raw ceiling: sync pull 1000 + ack  ${fmt(ceiling).padStart(8)} msg/s`);
    console.log(`alerts pipeline, pull->commit->ack ${fmt(pipelineRate).padStart(8)} msg/s  (${((pipelineRate / ceiling) * 100).toFixed(0)}% of the ceiling; target >= 70%)`);
    console.log(`latency at ${fmt(eps)} events/s for ${seconds} s, publish -> committed row (${fmt(latencies.length)} alert rows):`);
    console.log(`  p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms, max ${fmt(latencies[latencies.length - 1])} ms  (target p99 <= 2,000 ms)`);
    console.log(`peak RSS of this process: ${fmt(process.resourceUsage().maxRSS / 1024)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
