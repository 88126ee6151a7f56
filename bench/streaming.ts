import { PubSub, v1 } from "@google-cloud/pubsub";
import { formatCount } from "../pipelines/format";
import { mkdtempSync, rmSync } from "fs";
import { cpus, loadavg, tmpdir } from "os";
import { join } from "path";
import { pubsubClient, subscriberApi } from "../io/pubsub/client";
import { startEmulator } from "../io/pubsub/emulator";
import { subscriptionPath } from "../io/pubsub/names";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
import { PubSubSource } from "../io/sources/pubsub-source";
import { alertsPipeline } from "../pipelines/alerts/pipeline";
import { ottPipeline } from "../pipelines/ott/pipeline";
import { PipelineDefinition, RowObserver } from "../pipelines/definition";
import { PlaybackGenerator } from "../samples/playback";
import { OttGenerator } from "../samples/ott";
import { drive } from "../runners/direct/driver";
import { inlineExecutor } from "../runners/direct/inline-executor";
import { CHECKPOINTS } from "../runners/direct/run";
import { Row } from "../schemas/table";
import { userEvents } from "../schemas/ott";
import { videoPlaybackAlerts } from "../schemas/playback";

/**
 * A pipeline the streaming benchmark drives: its definition and options,
 * the events it reads, and the table whose rows the latency is measured on
 * (a row's key is its event's event_id).
 */
interface Streamed {
  name: string;
  definition: PipelineDefinition<unknown>;
  options: unknown;
  /** Generated events, `eps` a second of event time from `startMicros`. */
  events(seed: number, startMicros: number, eps: number): () => Row;
  latencyTable: string;
}

const STREAMED: readonly Streamed[] = [
  {
    name: "alerts",
    definition: alertsPipeline as PipelineDefinition<unknown>,
    options: { bufferThresholdMs: 4000, sampleEvents: 0 },
    events: (seed, startMicros, eps) => {
      const generator = new PlaybackGenerator({ seed, startMicros, meanGapMicros: 1e6 / eps });
      return () => generator.next();
    },
    latencyTable: videoPlaybackAlerts.name,
  },
  {
    name: "ott",
    definition: ottPipeline as PipelineDefinition<unknown>,
    options: { allowedLatenessSec: 300, maxFutureSec: 300, sampleMinutes: 5, sampleEps: 100 },
    events: (seed, startMicros, eps) => {
      const generator = new OttGenerator({ seed, startMicros, meanGapMicros: 1e6 / eps });
      return () => generator.next() as unknown as Row;
    },
    latencyTable: userEvents.name,
  },
];

const PROJECT = "bench-project";
const fmt = formatCount;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freshSubscription(pubsub: PubSub, name: string): Promise<string> {
  const topic = (await pubsub.createTopic(name))[0];
  await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 60 });
  return subscriptionPath(PROJECT, `${name}-sub`);
}

/** Publishes `count` of the pipeline's events as fast as the client batches them; returns the publish rate (msg/s). */
async function publishBacklog(pubsub: PubSub, topicName: string, count: number, pipeline: Streamed): Promise<number> {
  const topic = pubsub.topic(topicName, { batching: { maxMessages: 1000, maxMilliseconds: 10 } });
  const generator = { next: pipeline.events(1, Date.now() * 1000 - count * 1000, 1000) };
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

/** A pipeline on the direct runner over a subscription, in this process, as the CLI runs it; `observe` sees each committed batch. */
async function runPipeline(pipeline: Streamed, pubsub: PubSub, subscription: string, warehouse: string, streaming: boolean, observe: RowObserver, signal?: AbortSignal): Promise<PipelineRun> {
  const source = new PubSubSource(await subscriberApi(pubsub), { subscription, maxBatch: 1000, batchWindowMs: 250, streaming, idleMs: 500, ackDeadlineSec: 60 });
  const sink = new DuckDbSink(warehouse);
  await sink.open(pipeline.definition.tables, pipeline.definition.merges);
  const run: PipelineRun = { read: 0, firstCommitAt: 0, lastCommitAt: 0, started: Date.now() };
  await drive(source, sink, inlineExecutor(pipeline.definition, pipeline.options), observe, {
    definition: pipeline.definition,
    bundleBytes: 4 << 20,
    maxInFlight: 2,
    commit: { maxRows: 50_000, maxDelayMs: 250, ...CHECKPOINTS },
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

/** Publishes at `eps` for `seconds` while a streaming pipeline runs; sorted publish-to-commit latencies of its latency table's rows. */
async function latencyRun(pipeline: Streamed, pubsub: PubSub, dir: string, eps: number, seconds: number): Promise<number[]> {
  const live = await freshSubscription(pubsub, "live");
  const sentAt = new Map<unknown, number>();
  const latencies: number[] = [];
  const stop = new AbortController();
  const running = runPipeline(pipeline, pubsub, live, join(dir, `live-${pipeline.name}.duckdb`), true, (table: string, rows: readonly Row[]) => {
    if (table !== pipeline.latencyTable) return;
    const now = Date.now();
    for (const row of rows) latencies.push(now - sentAt.get(row.event_id)!);
  }, stop.signal);
  const topic = pubsub.topic("live", { batching: { maxMessages: 100, maxMilliseconds: 5 } });
  const next = pipeline.events(3, Date.now() * 1000, eps);
  const started = Date.now();
  let sent = 0;
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * eps);
    for (; sent < due; sent++) {
      const event = next();
      sentAt.set(event.event_id, Date.now());
      void topic.publishMessage({ data: Buffer.from(JSON.stringify(event)) });
    }
    await sleep(5);
  }
  await topic.flush();
  await sleep(3000); // let the last batches commit
  stop.abort();
  await running;
  latencies.sort((a, b) => a - b);
  return latencies;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

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

/** Drains a backlog of `messages` of the pipeline's events; its rate from the start to the last commit (msg/s). */
async function drainRate(pipeline: Streamed, dir: string, messages: number): Promise<number> {
  return onFreshEmulator(async (pubsub) => {
    const backlog = await freshSubscription(pubsub, "backlog");
    await publishBacklog(pubsub, "backlog", messages, pipeline);
    const drained = await runPipeline(pipeline, pubsub, backlog, join(dir, `backlog-${pipeline.name}.duckdb`), false, () => undefined);
    return (drained.read / (drained.lastCommitAt - drained.started)) * 1000;
  });
}

export async function streamingBenchmark(messages: number, eps: number, seconds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bva-stream-"));
  try {
    const load = loadavg();
    const rates = await onFreshEmulator(async (pubsub, api) => {
      const raw = await freshSubscription(pubsub, "raw");
      const publishRate = await publishBacklog(pubsub, "raw", messages, STREAMED[0]);
      return { publishRate, ceiling: await rawPullAck(api, raw, messages) };
    });
    const measured = [];
    for (const pipeline of STREAMED) {
      const rate = await drainRate(pipeline, dir, messages);
      // Latency: publish at a fixed rate while a streaming pipeline runs; time from publish to the commit of each row.
      const latencies = await onFreshEmulator((pubsub) => latencyRun(pipeline, pubsub, dir, eps, seconds));
      measured.push({ pipeline, rate, latencies });
    }

    console.log(`streaming benchmark: Pub/Sub emulator (real), ${fmt(messages)} messages; direct runner in one process`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, load average ${load.map((l) => l.toFixed(1)).join(" ")} at the start, ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end`);
    console.log("");
    console.log(`publish, client batching          ${fmt(rates.publishRate).padStart(8)} msg/s`);
    console.log(`raw ceiling: sync pull 1000 + ack  ${fmt(rates.ceiling).padStart(8)} msg/s`);
    for (const m of measured) {
      const name = `${m.pipeline.name} pipeline, pull->commit->ack`.padEnd(34);
      console.log(`${name} ${fmt(m.rate).padStart(8)} msg/s  (${((m.rate / rates.ceiling) * 100).toFixed(0)}% of the ceiling; target >= 70%)`);
    }
    for (const m of measured) {
      const l = m.latencies;
      console.log(`${m.pipeline.name}: latency at ${fmt(eps)} events/s for ${seconds} s, publish -> committed ${m.pipeline.latencyTable} row (${fmt(l.length)} rows):`);
      console.log(`  p50 ${fmt(percentile(l, 50))} ms, p99 ${fmt(percentile(l, 99))} ms, max ${fmt(l[l.length - 1])} ms  (target p99 <= 1,000 ms)`);
    }
    console.log(`peak RSS of this process: ${fmt(process.resourceUsage().maxRSS / 1024)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
