import { availableParallelism } from "os";
import { FileSource, resolveInputs } from "../io/sources/file-source";
import { Source, SourceError } from "../io/sources/source";
import { DEFAULT_WAREHOUSE, DuckDbSink } from "../io/sinks/duckdb-sink";
import { JsonlSink } from "../io/sinks/jsonl-sink";
import { Sink, SinkError } from "../io/sinks/sink";
import { StdoutSink } from "../io/sinks/stdout-sink";
import { RunReport } from "../pipelines/definition";
import { Row } from "../schemas/table";
import { drive } from "../runners/direct/driver";
import { inlineExecutor } from "../runners/direct/inline-executor";
import { WorkerPool } from "../runners/direct/worker-pool";
import { ParsedArgs } from "./args";
import { UsageError } from "./errors";
import { DeadLetterTally, renderSummary } from "./summary";

/** Input per Beam run on the direct runner: large enough to amortize a run's fixed cost. */
const BUNDLE_BYTES = 4 << 20;

async function openSource(args: ParsedArgs): Promise<Source> {
  const { input, seed, sampleEvents } = args.common;
  if (input === undefined) return args.pipeline.sampleSource(seed as number, sampleEvents as number);
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
    default:
      return new DuckDbSink(args.common.warehouse as string);
  }
}

function queryHint(args: ParsedArgs): string | undefined {
  if (args.common.sink !== "duckdb") return undefined;
  const warehouse = args.common.warehouse === DEFAULT_WAREHOUSE ? "" : ` --warehouse ${args.common.warehouse}`;
  return `npm run query --${warehouse} "${args.pipeline.exampleQuery}"`;
}

function both(a: RunReport, b: RunReport): RunReport {
  return {
    observe: (table: string, rows: readonly Row[]) => {
      a.observe(table, rows);
      b.observe(table, rows);
    },
    render: () => [...a.render(), ...b.render()],
  };
}

/**
 * Runs a parsed command line on the direct runner: source -> Beam bundles ->
 * sink, then prints the summary. SIGINT/SIGTERM stop reading; what was read is
 * still committed and summarized.
 */
export async function runPipeline(args: ParsedArgs): Promise<void> {
  const source = await openSource(args);
  const sink = createSink(args);
  await sink.open(args.pipeline.tables);
  const workers = Math.min(args.common.directNumWorkers as number, availableParallelism() * 2);
  const pool = workers > 1 ? new WorkerPool(workers, { pipeline: args.pipeline.name, options: args.options }) : undefined;
  const execute = pool?.execute ?? inlineExecutor(args.pipeline, args.options);

  let stop = false;
  const onSignal = (): void => {
    if (stop) process.exit(130); // second signal: give up at once
    stop = true;
    process.stderr.write("stopping: committing what was read (signal again to abort)\n");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const report = args.pipeline.newReport();
  const deadLetters = new DeadLetterTally();
  try {
    const stats = await drive(source, sink, execute, both(report, deadLetters), {
      bundleBytes: BUNDLE_BYTES,
      maxInFlight: workers + 1,
      commit: { maxRows: 50_000, maxDelayMs: 1000 },
      stopRequested: () => stop,
    });
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
  }
}

export const isExpectedError = (e: Error): boolean => e instanceof SinkError || e instanceof SourceError;
