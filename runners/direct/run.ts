import { availableParallelism } from "os";
import { FileSource, resolveInputs } from "../../io/sources/file-source";
import { subscriptionOf } from "../../io/pubsub/names";
import { ConnectionState } from "../../io/pubsub/connection";
import { Source, SourceError } from "../../io/sources/source";
import { SinkError } from "../../io/sinks/sink";
import { bigQueryAccessProblem } from "../../io/bigquery/project";
import { deadLetter, DeadLetter } from "../../schemas/dead-letter";
import { Row } from "../../schemas/table";
import { COUNTERS } from "../../transforms/core/parse-records";
import { RunnablePipeline, RunReport } from "../../pipelines/definition";
import { formatCount } from "../../pipelines/format";
import { DirectSettings, SettingsError } from "../settings";
import { checkLocalSink, createSink } from "../sink";
import { CommitReport, CommitTotals } from "./committer";
import { DuckDbSink } from "../../io/sinks/duckdb-sink";
import { DashboardServer } from "../dashboard/server";
import { drive, RunStats } from "./driver";
import { inlineExecutor } from "./inline-executor";
import { planSnapshots } from "../snapshots";
import { WorkerPool } from "./worker-pool";
import { CatalogFeed } from "./catalog-feed";
import { readCatalog } from "../catalog";
import { CatalogSnapshot } from "../../transforms/catalog/titles";

/**
 * Merged tables' rows are brought up to date every 10 commits (500,000 rows
 * at most) or 10 s: a key is rewritten once per checkpoint, not per commit,
 * and a view row lags its window by at most this much.
 */
export const CHECKPOINTS = { checkpointCommits: 10, checkpointMs: 10_000 };

/**
 * The Pub/Sub source as a run uses it. The Pub/Sub client library is loaded
 * only by runs that read Pub/Sub (pubsub-input.ts, imported when needed), so
 * a file run does not pay for it; this module does not import it, not even
 * for a type (the build's closure transform keeps type imports).
 */
type PubSubInput = Source & { readonly backlog: number; close(): Promise<void> };

/** After a stop signal, the run ends within this even when a commit hangs. */
const STOP_GRACE_MS = 4000;
/** Input per Beam run on the direct runner: large enough to amortize a run's fixed cost. */
const BUNDLE_BYTES = 4 << 20;

/** Settings that only make sense together, and a warehouse that is one: checked before anything starts. */
async function checkSettings(settings: DirectSettings): Promise<void> {
  if (settings.source === "pubsub" && settings.input !== undefined) throw new SettingsError("--input reads files; with --source=pubsub give --subscription instead");
  if (settings.source !== "pubsub" && settings.streaming) throw new SettingsError("--streaming needs --source=pubsub (files and samples are bounded)");
  const bigQueryProblem = settings.sink === "bigquery" ? await bigQueryAccessProblem() : undefined;
  if (bigQueryProblem !== undefined) throw new SinkError(bigQueryProblem);
  await checkLocalSink(settings);
}

async function openSource<O>(pipeline: RunnablePipeline<O>, options: O, settings: DirectSettings, status: LiveStatus): Promise<Source> {
  if (settings.source === "pubsub") {
    const { openPubSubSource } = await import("./pubsub-input.js");
    return openPubSubSource(pipeline.name, settings, (state: ConnectionState) => status.connection(state));
  }
  // Every pipeline but those of snapshots (planSnapshots) has a sample source.
  if (settings.input === undefined) return pipeline.sampleSource!(settings.seed, options);
  try {
    return new FileSource(await resolveInputs(settings.input));
  } catch (error) {
    if (error instanceof SourceError) throw new SettingsError(error.message);
    throw error;
  }
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** What a catalog read found, for a line on stderr. */
function catalogLine(snapshot: CatalogSnapshot | undefined, first: boolean): string {
  if (snapshot === undefined) return `catalog${first ? "" : " re-read"}: no title_basics in the warehouse: the views show the events' own titles and genres`;
  const found = `${formatCount(Number(snapshot[0].split("-")[0]))} titles from title_basics`;
  return first ? `catalog: ${found}, for the views' titles and genres where events have none` : `catalog re-read: ${found}, for the bundles from now on`;
}

/**
 * The status of a run: for Pub/Sub, a line after commits, rewritten in place
 * on a terminal, a log line every 10 s otherwise; a service lost, slow or
 * back (Pub/Sub, BigQuery) is said at once, on a line of its own.
 */
class LiveStatus {
  private readonly started = Date.now();
  private lastLine = 0;
  private inPlace = false;
  source?: PubSubInput;

  readonly commit = (totals: CommitTotals): void => {
    const now = Date.now();
    if (!process.stderr.isTTY && now - this.lastLine < 10_000) return;
    this.lastLine = now;
    const read = totals.counters[COUNTERS.recordsRead] ?? 0;
    const line =
      `commits ${totals.commits}, read ${formatCount(read)} (${formatCount(read / ((now - this.started) / 1000))}/s), ` +
      `in flight ${this.source?.backlog ?? 0}, dead letters ${formatCount(totals.counters[COUNTERS.deadLetters] ?? 0)}`;
    this.inPlace = process.stderr.isTTY;
    process.stderr.write(process.stderr.isTTY ? `\r${line}   ` : `${new Date(now).toISOString()} ${line}\n`);
  };

  connection(state: ConnectionState): void {
    this.notice(
      state.lost
        ? `Pub/Sub lost since ${clock(state.since)} UTC (${state.reason}): retrying until ${clock(state.retryUntil)} UTC, then the run stops (--retryTimeoutSec)`
        : `Pub/Sub back after ${(state.downMs / 1000).toFixed(1)} s`,
    );
  }

  /** A line of its own, at once: a service lost, slow or back. */
  notice(line: string): void {
    process.stderr.write(`${this.inPlace ? "\n" : ""}${new Date().toISOString()} ${line}\n`);
    this.inPlace = false;
  }

  /** Ends a line rewritten in place. */
  end(): void {
    if (this.inPlace) process.stderr.write("\n");
    this.inPlace = false;
  }
}

/** One commit observer out of the ones given, or none. */
function observers(status?: (totals: CommitTotals) => void, dashboard?: (commit: CommitReport) => void): ((totals: CommitTotals, commit: CommitReport) => void) | undefined {
  if (status === undefined && dashboard === undefined) return undefined;
  return (totals, commit) => {
    status?.(totals);
    dashboard?.(commit);
  };
}

/** Dead letters of the run by reason code, for the summary. */
export class DeadLetterTally {
  private readonly byCode = new Map<string, number>();

  observe(table: string, rows: readonly Row[]): void {
    if (table !== deadLetter.name) return;
    for (const row of rows as readonly DeadLetter[]) this.byCode.set(row.reason_code, (this.byCode.get(row.reason_code) ?? 0) + 1);
  }

  /** `code count` pairs, most frequent first. */
  reasons(): string[] {
    return [...this.byCode].sort((a, b) => b[1] - a[1]).map(([code, count]) => `${code} ${formatCount(count)}`);
  }
}

/** What a run on the direct runner did, for its summary. */
export interface DirectRunResult {
  /** Where the records came from. */
  source: string;
  /** The runner, and its worker threads if any. */
  runner: string;
  stats: RunStats;
  report: RunReport;
  deadLetters: DeadLetterTally;
  /** Where the rows are. */
  location: string[];
  /** Rows each merged table holds after the run, where the sink can count them. */
  mergedRows: ReadonlyMap<string, number>;
  /** Input that could not be read to its end, one line each (the rest of the input was read). */
  unread: readonly string[];
}

/**
 * Runs a pipeline on Beam's direct runner in this process: source -> Beam
 * bundles -> sink. SIGINT/SIGTERM stop reading; what was read is still
 * committed, and the result says the run was interrupted. With a
 * `dashboard` (--dashboard), its pages and metrics follow the run's commits.
 */
export async function runDirect<O>(pipeline: RunnablePipeline<O>, options: O, settings: DirectSettings, dashboard?: DashboardServer): Promise<DirectRunResult> {
  await checkSettings(settings);
  const status = new LiveStatus();
  const opened = pipeline.snapshots ? undefined : await openSource(pipeline, options, settings, status);
  await dashboard?.releaseWarehouse(pipeline.name); // this process is about to write the file its pages read
  // Snapshot files (the catalog) are fingerprinted and their tables prepared once the warehouse is ours, before the sink opens.
  const snapshots = pipeline.snapshots ? await planSnapshots(pipeline, options, settings) : undefined;
  const source = snapshots?.source ?? opened!;
  const pubsub = snapshots === undefined && settings.source === "pubsub" ? (source as PubSubInput) : undefined;
  status.source = pubsub;
  const sink = snapshots?.sink ?? createSink(pipeline.name, settings, (line) => status.notice(line));
  await sink.open(pipeline.tables, pipeline.merges, pipeline.views);
  const project = settings.project;
  const followed =
    dashboard && sink instanceof DuckDbSink
      ? await (await import("../dashboard/follow.js")).followRun(dashboard, pipeline.name, sink, source, { project, subscription: subscriptionOf(pipeline.name, project, settings.subscription) })
      : undefined;
  // The catalog's titles: read before the first bundle, and on a stream every --catalogRefreshSec.
  const catalog = pipeline.readsCatalog
    ? new CatalogFeed(() => readCatalog(sink), settings.source === "pubsub" ? settings.catalogRefreshSec * 1000 : Number.POSITIVE_INFINITY, (snapshot, first) => status.notice(catalogLine(snapshot, first)))
    : undefined;
  const workers = Math.min(settings.directNumWorkers, availableParallelism() * 2);
  const pool = workers > 1 ? new WorkerPool(workers, { pipeline: pipeline.name, options }) : undefined;
  const execute = pool?.execute ?? inlineExecutor(pipeline, options);

  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130); // second signal: give up at once
    stop.abort();
    process.stderr.write("stopping: committing what was read (signal again to abort)\n");
    // A sink that does not answer must not hold the stop: a commit cut short is not acknowledged (as after kill -9).
    setTimeout(() => {
      process.stderr.write(`error: still committing ${STOP_GRACE_MS / 1000} s after the stop signal: exiting; what was not committed is not acknowledged, and the next run reads it again\n`);
      process.exit(130);
    }, STOP_GRACE_MS).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const report = pipeline.newReport();
  const deadLetters = new DeadLetterTally();
  try {
    const observe = (table: string, rows: readonly Row[]): void => {
      report.observe(table, rows);
      deadLetters.observe(table, rows);
      snapshots?.observe(table, rows);
    };
    const stats = await drive(source, sink, execute, observe, {
      definition: pipeline,
      bundleBytes: BUNDLE_BYTES,
      maxInFlight: workers + 1,
      // Streaming commits within one batch window, so a row is durable soon after its message arrived.
      commit: { maxRows: 50_000, maxDelayMs: pubsub ? settings.batchWindowMs : 1000, ...CHECKPOINTS },
      onCommit: observers(pubsub ? status.commit : undefined, followed?.onCommit),
      signal: stop.signal,
      catalog,
    });
    if (snapshots) report.observe(pipeline.snapshots!.log.name, await snapshots.finish(sink, stats));
    // A merged table's rows are rewritten as panes arrive: what counts is how many it holds now.
    const mergedRows = new Map<string, number>();
    for (const table of pipeline.merges?.keys() ?? []) {
      const rows = await sink.ledger?.rowCount(table);
      if (rows !== undefined) mergedRows.set(table, rows);
    }
    return {
      mergedRows,
      source: source.description,
      runner: workers > 1 ? `direct runner, ${workers} worker threads` : "direct runner",
      stats,
      report,
      deadLetters,
      location: sink.location(),
      unread: source instanceof FileSource ? source.damaged : snapshots?.unread() ?? [],
    };
  } finally {
    status.end();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await pool?.close();
    await followed?.end();
    await sink.close();
    await pubsub?.close();
  }
}
