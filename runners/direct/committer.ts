import { Progress, Sink, WriteResult } from "../../io/sinks/sink";
import { Source } from "../../io/sources/source";
import { RowObserver } from "../../pipelines/definition";
import { Row } from "../../schemas/table";
import { BundleContext } from "../../transforms/core/bundle-context";
import { ackIdsOf, RawChunk, unitsOf } from "../../transforms/core/chunk";
import { BundleResult } from "./bundle";

export interface CommitPolicy {
  /** Commit once this many rows wait (each commit costs a transaction and an fsync). */
  maxRows: number;
  /** ...or once the oldest waiting row has waited this long (bounds latency when input is slow). */
  maxDelayMs: number;
  /**
   * A commit is a checkpoint (merged tables' rows brought up to date, see
   * Progress.checkpoint) once this many commits or this long have passed
   * since the last one, and at the end of the run. Unset: every commit is one.
   */
  checkpointCommits?: number;
  checkpointMs?: number;
}

export interface CommitTotals {
  counters: Record<string, number>;
  /** Per table: rows stored and duplicates skipped. */
  written: WriteResult;
  commits: number;
}

/** One commit, as observers see it (the live status, the dashboard's metrics): once per commit, never per record. */
export interface CommitReport {
  /** Epoch milliseconds when the commit became durable and acknowledged. */
  committedAt: number;
  /** Time in the sink's write and the acknowledgements. */
  durationMs: number;
  /** Each table's rows of this commit (merged tables: the panes), and what the sink stored of them. */
  tables: ReadonlyMap<string, readonly Row[]>;
  written: WriteResult;
  /** This commit's Beam counters (records read, valid, dead letters, ...). */
  counters: Record<string, number>;
  /** The input it holds. */
  chunks: readonly RawChunk[];
  /** The watermark it recorded (epoch microseconds; -Infinity for bounded input). */
  watermarkMicros: number;
}

/** Runs the pipeline's graph over one bundle of chunks: in this thread, or on a worker. */
export type BundleExecutor = (chunks: RawChunk[], context: BundleContext) => Promise<BundleResult>;

/**
 * An executed bundle waiting for its commit. Its input stays until then when
 * it may have to run again (a pipeline with `countedOnceBy`, see
 * skipRepeats); otherwise only what the commit needs of it (withoutRecords).
 */
export interface ExecutedBundle {
  chunks: RawChunk[];
  context: BundleContext;
  result: BundleResult;
  /** The watermark after this bundle, which its commit records. */
  watermarkAfter: number;
}

/** What the committer needs to know of the pipeline. */
export interface CommitSettings {
  pipeline: string;
  /** The table keyed by each input record's id, when duplicates must count once (PipelineDefinition.countedOnceBy). */
  countedOnceBy?: { table: string; keyColumn: string };
  execute: BundleExecutor;
}

/**
 * Gathers executed bundles, in input order, into sink commits; each commit
 * records the input units whose effects it holds (the sink's ledger), and
 * only after it is durable are exactly those chunks acknowledged. Before
 * writing, a bundle that counted a record an earlier bundle or commit
 * already stored runs again with that record skipped, so merged tables
 * count it once. Commits run one at a time.
 */
export class Committer {
  readonly totals: CommitTotals = { counters: {}, written: new Map(), commits: 0 };
  private waiting: ExecutedBundle[] = [];
  private rows = 0;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Commits since the last checkpoint, and when it was. */
  private sinceCheckpoint = 0;
  private checkpointAt = Date.now();
  /** After a commit that was not a checkpoint: the one that follows when no input does (a stream gone quiet). */
  private checkpointTimer?: NodeJS.Timeout;

  constructor(
    private readonly source: Source,
    private readonly sink: Sink,
    private readonly observe: RowObserver,
    private readonly policy: CommitPolicy,
    private readonly settings: CommitSettings,
    private readonly onCommit?: (totals: CommitTotals, commit: CommitReport) => void,
  ) {}

  /**
   * Adds one executed bundle and starts a commit if the policy says so. Call
   * in input order. Resolves at once unless a commit is already running and
   * another waits behind it: that backpressure bounds the rows in memory.
   */
  async add(bundle: ExecutedBundle): Promise<void> {
    this.waiting.push(bundle);
    for (const rows of bundle.result.tables.values()) this.rows += rows.length;
    if (this.rows >= this.policy.maxRows) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.policy.maxDelayMs);
    // Commits made by the timer count too: when they are slower than the input, the input waits, not a queue of commits.
    if (this.queued > 1) await this.chain;
  }

  /** Commits whatever waits (as a checkpoint when `final`). Resolves once it is durable and acknowledged. */
  flush(final = false): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const bundles = this.waiting;
    this.waiting = [];
    this.rows = 0;
    if (bundles.length === 0 && !final) return this.chain;
    this.queued++;
    this.chain = this.chain.then(() => this.commit(bundles, final)).finally(() => this.queued--);
    return this.chain;
  }

  /**
   * Runs again, with the repeated keys skipped, every bundle whose records an
   * earlier bundle of this commit or an earlier commit already stored.
   */
  private async skipRepeats(bundles: ExecutedBundle[]): Promise<void> {
    const once = this.settings.countedOnceBy;
    const ledger = this.sink.ledger;
    if (once === undefined || ledger === undefined) return;
    const keysOf = (bundle: ExecutedBundle): string[] => (bundle.result.tables.get(once.table) ?? []).map((row) => String(row[once.keyColumn]));
    const keys = bundles.map(keysOf);
    const stored = await ledger.storedKeys(once.table, keys.flat());
    const earlier = new Set<string>();
    for (let i = 0; i < bundles.length; i++) {
      const repeated = keys[i].filter((key) => stored.has(key) || earlier.has(key));
      for (const key of keys[i]) earlier.add(key);
      if (repeated.length === 0) continue;
      const bundle = bundles[i];
      bundle.context = { ...bundle.context, skipKeys: new Set([...bundle.context.skipKeys, ...repeated]) };
      bundle.result = await this.settings.execute(bundle.chunks, bundle.context);
    }
  }

  private async commit(bundles: ExecutedBundle[], final: boolean): Promise<void> {
    const checkpoint = final || this.sinceCheckpoint + 1 >= (this.policy.checkpointCommits ?? 1) || Date.now() - this.checkpointAt >= (this.policy.checkpointMs ?? 0);
    if (bundles.length === 0) {
      // The end of a run whose last commit was not a checkpoint: one without rows.
      if (this.sinceCheckpoint > 0) await this.checkpointOnly();
      return;
    }
    await this.skipRepeats(bundles);
    const tables = new Map<string, Row[]>();
    for (const bundle of bundles) {
      for (const [table, rows] of bundle.result.tables) {
        const all = tables.get(table);
        if (all === undefined) tables.set(table, [...rows]);
        else for (const row of rows) all.push(row);
      }
    }
    const progress: Progress = {
      pipeline: this.settings.pipeline,
      units: bundles.flatMap((b) => b.chunks.flatMap((c) => [...unitsOf(c)])),
      watermarkMicros: bundles[bundles.length - 1].watermarkAfter,
      checkpoint: checkpoint,
    };
    const started = Date.now();
    const written = await this.sink.write(tables, progress);
    this.checkpointed(checkpoint);
    await this.source.acknowledge(bundles.flatMap((b) => b.chunks.flatMap((c) => [...ackIdsOf(c)])));
    const committedAt = Date.now();
    const totals = this.totals;
    totals.commits++;
    const counters: Record<string, number> = {};
    for (const bundle of bundles) {
      for (const [name, value] of Object.entries(bundle.result.counters)) counters[name] = (counters[name] ?? 0) + value;
    }
    for (const [name, value] of Object.entries(counters)) totals.counters[name] = (totals.counters[name] ?? 0) + value;
    this.count(written);
    // A merged table's observers see its merged rows, not the panes.
    for (const [table, rows] of tables) this.observe(table, written.get(table)?.rows ?? rows);
    this.onCommit?.(totals, {
      committedAt: committedAt,
      durationMs: committedAt - started,
      tables: tables,
      written: written,
      counters: counters,
      chunks: bundles.flatMap((b) => b.chunks),
      watermarkMicros: progress.watermarkMicros,
    });
  }

  private checkpointed(checkpoint: boolean): void {
    this.sinceCheckpoint = checkpoint ? 0 : this.sinceCheckpoint + 1;
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    if (checkpoint) this.checkpointAt = Date.now();
    else this.checkpointTimer = setTimeout(() => void this.flush(true).catch(() => undefined), this.policy.checkpointMs ?? 0).unref();
  }

  /** A checkpoint with no new input: merged tables' rows brought up to date. */
  private async checkpointOnly(): Promise<void> {
    const written = await this.sink.write(new Map(), { pipeline: this.settings.pipeline, units: [], watermarkMicros: Number.NEGATIVE_INFINITY, checkpoint: true });
    this.checkpointed(true);
    this.count(written);
    for (const [table, w] of written) if (w.rows !== undefined) this.observe(table, w.rows);
  }

  private count(written: WriteResult): void {
    for (const [table, w] of written) {
      const sum = this.totals.written.get(table) ?? { stored: 0, duplicates: 0 };
      this.totals.written.set(table, { stored: sum.stored + w.stored, duplicates: sum.duplicates + w.duplicates });
    }
  }
}
