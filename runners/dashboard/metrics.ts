import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { deadLetter, DeadLetter } from "../../schemas/dead-letter";
import { COUNTERS } from "../../transforms/core/parse-records";
import { CommitReport } from "../direct/committer";

/** Every metric's name starts with this (Prometheus' convention: the exporting program's namespace). */
export const METRIC_PREFIX = "beam_video_";

/** What a run's source says at scrape time, for the gauges that are read rather than counted. */
export interface SourceGauges {
  /** The subscription read, for the label. */
  readonly subscription: string;
  /** Messages pulled and not yet acknowledged. */
  unacked(): number;
  /** Messages waiting in the pipeline's dead-letter subscription, as last counted (undefined: not counted yet). */
  deadLetterBacklog(): number | undefined;
}

/**
 * The pipelines' metrics in Prometheus' data model, fed once per commit
 * (never per record) by `observeCommit`; gauges that change between commits
 * (watermark lag, unacknowledged messages) are read when scraped.
 */
export class PipelineMetrics {
  readonly registry = new Registry();
  private readonly watermarks = new Map<string, number>();
  private readonly sources = new Map<string, SourceGauges>();

  private readonly recordsRead = this.counter("records_read_total", "Input records read (lines or messages; blank lines included).", ["pipeline"]);
  private readonly recordsValid = this.counter("records_valid_total", "Records that parsed and passed validation.", ["pipeline"]);
  private readonly deadLetters = this.counter("dead_letters_total", "Records rejected into the dead_letter table, by reason code.", ["pipeline", "reason"]);
  private readonly rowsStored = this.counter("rows_stored_total", "Rows stored (merged tables: rows written or rewritten) by table.", ["pipeline", "table"]);
  private readonly rowsDuplicate = this.counter("rows_duplicate_total", "Rows skipped because their key was already stored, by table.", ["pipeline", "table"]);
  private readonly commits = this.counter("commits_total", "Sink commits (one transaction each) that became durable.", ["pipeline"]);
  private readonly commitDuration = new Histogram({
    name: `${METRIC_PREFIX}commit_duration_seconds`,
    help: "Time of a commit: the sink's write and the acknowledgements.",
    labelNames: ["pipeline"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: `${METRIC_PREFIX}publish_to_commit_latency_seconds`,
    help: "Pub/Sub: from the publish time of a micro-batch's oldest message to its commit (one observation per micro-batch).",
    labelNames: ["pipeline"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: `${METRIC_PREFIX}micro_batch_messages`,
    help: "Pub/Sub: messages per micro-batch.",
    labelNames: ["pipeline"],
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [this.registry],
  });
  private readonly lastCommit = this.gauge("last_commit_timestamp_seconds", "Unix time of the last durable commit.", ["pipeline"]);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    this.gauge("watermark_lag_seconds", "Unbounded input: how far the watermark (event time all input has reached) trails the clock.", ["pipeline"], function () {
      this.reset();
      for (const [pipeline, micros] of metrics.watermarks) this.set({ pipeline }, Math.max(0, Date.now() / 1000 - micros / 1e6));
    });
    this.gauge("pubsub_unacked_messages", "Messages pulled from the subscription and not yet acknowledged (committing or waiting to).", ["pipeline", "subscription"], function () {
      this.reset();
      for (const [pipeline, source] of metrics.sources) this.set({ pipeline, subscription: source.subscription }, source.unacked());
    });
    this.gauge("pubsub_dead_letter_messages", "Messages waiting in the pipeline's Pub/Sub dead-letter subscription (counted up to 10,000, every minute).", ["pipeline"], function () {
      this.reset();
      for (const [pipeline, source] of metrics.sources) {
        const waiting = source.deadLetterBacklog();
        if (waiting !== undefined) this.set({ pipeline }, waiting);
      }
    });
  }

  private counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string, labelNames: string[], collect?: (this: Gauge<string>) => void): Gauge<string> {
    return new Gauge({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry], collect });
  }

  /** A run of `pipeline` reads this source (Pub/Sub) until `forget`. */
  watchSource(pipeline: string, source: SourceGauges): void {
    this.sources.set(pipeline, source);
  }

  /** The run ended: its source gauges and watermark lag no longer mean anything. */
  forget(pipeline: string): void {
    this.sources.delete(pipeline);
    this.watermarks.delete(pipeline);
  }

  observeCommit(pipeline: string, commit: CommitReport): void {
    const labels = { pipeline };
    const counter = (name: string): number => commit.counters[name] ?? 0;
    this.recordsRead.inc(labels, counter(COUNTERS.recordsRead));
    this.recordsValid.inc(labels, counter(COUNTERS.validRecords));
    // Dead letters are few: counting their reasons row by row costs nothing next to storing them.
    for (const row of (commit.tables.get(deadLetter.name) ?? []) as readonly DeadLetter[]) this.deadLetters.inc({ pipeline, reason: row.reason_code });
    for (const [table, written] of commit.written) {
      this.rowsStored.inc({ pipeline, table }, written.stored);
      this.rowsDuplicate.inc({ pipeline, table }, written.duplicates);
    }
    this.commits.inc(labels);
    this.commitDuration.observe(labels, commit.durationMs / 1000);
    this.lastCommit.set(labels, commit.committedAt / 1000);
    for (const chunk of commit.chunks) {
      if (chunk.kind !== "messages") continue;
      this.batchSize.observe(labels, chunk.ids.length);
      if (chunk.publishedAt !== undefined) this.latency.observe(labels, Math.max(0, commit.committedAt / 1000 - chunk.publishedAt / 1e6));
    }
    if (Number.isFinite(commit.watermarkMicros)) this.watermarks.set(pipeline, commit.watermarkMicros);
  }

  /** The exposition text (`/metrics`) and its content type. */
  async exposition(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
