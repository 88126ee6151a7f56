import { availableParallelism } from "os";
import { FileSource, resolveInputs } from "../../io/sources/file-source";
import { PubSubSource } from "../../io/sources/pubsub-source";
import { PubSubError, pubsubClient, subscriberApi } from "../../io/pubsub/client";
import { subscriptionOf } from "../../io/pubsub/names";
import { SUBSCRIPTION_SETTINGS } from "../../io/pubsub/resources";
import { Source, SourceError } from "../../io/sources/source";
import { DEFAULT_WAREHOUSE, DuckDbSink } from "../../io/sinks/duckdb-sink";
import { JsonlSink } from "../../io/sinks/jsonl-sink";
import { BigQuerySink } from "../../io/sinks/bigquery-sink";
import { Sink, SinkError } from "../../io/sinks/sink";
import { StdoutSink } from "../../io/sinks/stdout-sink";
import { Row } from "../../schemas/table";
import { drive } from "./driver";
import { CommitTotals } from "./committer";
import { COUNTERS } from "../../transforms/core/parse-records";
import { inlineExecutor } from "./inline-executor";
import { WorkerPool } from "./worker-pool";
import { PortableRunError, runPortable } from "../portable/submit";
import { ParsedArgs } from "../../cli/args";
import { UsageError } from "../../cli/errors";
import { formatCount } from "../../pipelines/format";
import { isPortable } from "../../cli/options";
import { DeadLetterTally, renderSummary } from "../../cli/summary";

/** Input per Beam run on the direct runner: large enough to amortize a run's fixed cost. */
const BUNDLE_BYTES = 4 << 20;

/** Flags that only make sense together: checked before anything starts. */
function checkCombinations(args: ParsedArgs): void {
  const c = args.common;
  if (c.source === "pubsub" && c.input !== undefined) throw new UsageError("--input reads files; with --source=pubsub give --subscription instead");
  if (c.source !== "pubsub" && c.streaming) throw new UsageError("--streaming needs --source=pubsub (files and samples are bounded)");
}

async function openSource(args: ParsedArgs): Promise<Source> {
  const { input, seed } = args.common;
  if (args.common.source === "pubsub") {
    const project = args.common.project as string;
    return new PubSubSource(await subscriberApi(pubsubClient(project)), {
      subscription: subscriptionOf(args.pipeline.name, project, args.common.subscription as string | undefined),
      maxBatch: args.common.maxBatch as number,
      batchWindowMs: args.common.batchWindowMs as number,
      streaming: args.common.streaming as boolean,
      idleMs: args.common.idleMs as number,
      ackDeadlineSec: SUBSCRIPTION_SETTINGS.ackDeadlineSeconds,
    });
  }
  if (input === undefined) return args.pipeline.sampleSource(seed as number, args.options);
  try {
    return new FileSource(await resolveInputs(input as string));
  } catch (error) {
    if (error instanceof SourceError) throw new UsageError(error.message);
    throw error;
  }
}

function createSink(args: ParsedArgs): Sink {
  switch (args.common.sink) {
    case "jsonl":
      return new JsonlSink(args.common.outputDir as string);
    case "stdout":
      return new StdoutSink();
    case "bigquery":
      return new BigQuerySink({ project: args.common.project as string, dataset: args.common.dataset as string, pipeline: args.pipeline.name });
    default:
      return new DuckDbSink(args.common.warehouse as string);
  }
}

function queryHint(args: ParsedArgs): string | undefined {
  if (args.common.sink !== "duckdb") return undefined;
  const warehouse = args.common.warehouse === DEFAULT_WAREHOUSE ? "" : ` --warehouse ${args.common.warehouse}`;
  return `npm run query --${warehouse} "${args.pipeline.exampleQuery}"`;
}

/** A status line for streaming runs: rewritten in place on a terminal, a log line every 10 s otherwise. */
function liveStatus(source: PubSubSource): (totals: CommitTotals) => void {
  const started = Date.now();
  let lastLine = 0;
  return (totals) => {
    const now = Date.now();
    if (!process.stderr.isTTY && now - lastLine < 10_000) return;
    lastLine = now;
    const read = totals.counters[COUNTERS.recordsRead] ?? 0;
    const line =
      `commits ${totals.commits}, read ${formatCount(read)} (${formatCount(read / ((now - started) / 1000))}/s), ` +
      `in flight ${source.backlog}, dead letters ${formatCount(totals.counters[COUNTERS.deadLetters] ?? 0)}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}   ` : `${new Date(now).toISOString()} ${line}\n`);
  };
}

/**
 * Runs a parsed command line on the direct runner: source -> Beam bundles ->
 * sink, then prints the summary. SIGINT/SIGTERM stop reading; what was read is
 * still committed and summarized.
 */
export async function runPipeline(args: ParsedArgs): Promise<void> {
  if (isPortable(args.common.runner)) {
    const job = await runPortable(args);
    const id = job.jobId === undefined ? "" : ` as job ${job.jobId}`;
    process.stdout.write(`${args.pipeline.name}: submitted to ${args.common.runner}${id}, state ${job.state}\n`);
    return;
  }
  checkCombinations(args);
  const source = await openSource(args);
  const sink = createSink(args);
  await sink.open(args.pipeline.tables, args.pipeline.merges);
  const workers = Math.min(args.common.directNumWorkers as number, availableParallelism() * 2);
  const pool = workers > 1 ? new WorkerPool(workers, { pipeline: args.pipeline.name, options: args.options }) : undefined;
  const execute = pool?.execute ?? inlineExecutor(args.pipeline, args.options);

  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130); // second signal: give up at once
    stop.abort();
    process.stderr.write("stopping: committing what was read (signal again to abort)\n");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const report = args.pipeline.newReport();
  const deadLetters = new DeadLetterTally();
  try {
    const observe = (table: string, rows: readonly Row[]): void => {
      report.observe(table, rows);
      deadLetters.observe(table, rows);
    };
    const stats = await drive(source, sink, execute, observe, {
      bundleBytes: BUNDLE_BYTES,
      maxInFlight: workers + 1,
      // Streaming commits within one batch window, so a row is durable soon after its message arrived.
      commit: { maxRows: 50_000, maxDelayMs: source instanceof PubSubSource ? (args.common.batchWindowMs as number) : 1000 },
      onCommit: source instanceof PubSubSource ? liveStatus(source) : undefined,
      signal: stop.signal,
    });
    if (source instanceof PubSubSource && process.stderr.isTTY) process.stderr.write("\n"); // end the status line
    const summary = renderSummary({
      pipeline: args.pipeline,
      source: source.description,
      runner: workers > 1 ? `direct runner, ${workers} worker threads` : "direct runner",
      stats,
      report,
      deadLetters,
      location: sink.location(),
      queryHint: queryHint(args),
    });
    // With --sink=stdout the rows own stdout; the summary goes to stderr.
    (args.common.sink === "stdout" ? process.stderr : process.stdout).write(`${summary}\n`);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await pool?.close();
    await sink.close();
    if (source instanceof PubSubSource) await source.close();
  }
}

export const isExpectedError = (e: Error): boolean => e instanceof SinkError || e instanceof SourceError || e instanceof PubSubError || e instanceof PortableRunError;
