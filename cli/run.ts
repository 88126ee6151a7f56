import { PubSubError } from "../io/pubsub/errors";
import { DEFAULT_WAREHOUSE } from "../io/sinks/duckdb-sink";
import { SinkError } from "../io/sinks/sink";
import { SourceError } from "../io/sources/source";
import { formatCount } from "../pipelines/format";
import { PIPELINES } from "../pipelines/registry";
import { runDirect } from "../runners/direct/run";
import { DashboardError, DashboardServer } from "../runners/dashboard/server";
import { PortableRunError } from "../runners/portable/errors";
import { DirectSettings } from "../runners/settings";
import { ParsedArgs } from "./args";
import { renderSummary } from "./summary";

/** How to look at the rows, when they are in a DuckDB warehouse. */
function queryHint(exampleQuery: string, settings: DirectSettings): string | undefined {
  if (settings.sink !== "duckdb") return undefined;
  const warehouse = settings.warehouse === DEFAULT_WAREHOUSE ? "" : ` --warehouse ${settings.warehouse}`;
  return `npm run query --${warehouse} "${exampleQuery}"`;
}

/** The dashboard of `--dashboard`: one server for every run of the command (they share the warehouse). */
export async function startDashboard(runs: readonly ParsedArgs[]): Promise<DashboardServer | undefined> {
  const settings = runs[0].settings;
  if (settings.runner !== "direct" || settings.sink !== "duckdb" || settings.dashboard === undefined) return undefined;
  const dashboard = await DashboardServer.start({ port: settings.dashboard, warehouse: settings.warehouse, pipelines: Object.values(PIPELINES) });
  process.stderr.write(`dashboard: ${dashboard.url}${runs.length === 1 ? runs[0].pipeline.name : ""} (Prometheus metrics: ${dashboard.url}metrics)\n`);
  return dashboard;
}

/** Runs a parsed command line on its runner, and prints what became of it: the summary, or the submitted job. */
export async function runPipeline(args: ParsedArgs, dashboard?: DashboardServer): Promise<"done" | "interrupted"> {
  const { pipeline, options, settings } = args;
  if (settings.runner !== "direct") {
    // Loaded only for a portable run: a direct run does not pay for the portable runner's modules.
    const { runPortable } = await import("../runners/portable/submit.js");
    const job = await runPortable(pipeline, options, settings);
    const id = job.jobId === undefined ? "" : ` as job ${job.jobId}`;
    // With --sink=stdout the rows own stdout.
    const out = settings.sink === "stdout" ? process.stderr : process.stdout;
    out.write(`${pipeline.name}: ${job.written ? "ran on" : "submitted to"} ${settings.runner}${id}, state ${job.state}\n`);
    for (const table of pipeline.tables) {
      const w = job.written?.get(table.name);
      if (w !== undefined) out.write(`  ${table.name}: ${formatCount(w.stored)} rows stored${w.duplicates > 0 ? `, ${formatCount(w.duplicates)} already there (same key)` : ""}\n`);
    }
    for (const where of job.location ?? []) out.write(`  rows in ${where}\n`);
    if (job.logged !== undefined && pipeline.snapshots) {
      // What became of each file, as the direct runner's summary says it.
      const report = pipeline.newReport();
      report.observe(pipeline.snapshots.log.name, job.logged);
      // The job's counters stay with the runner: none here.
      for (const [label, text] of report.render({})) out.write(`  ${label}: ${text}\n`);
    }
    return "done";
  }
  const run = await runDirect(pipeline, options, settings, dashboard);
  const summary = renderSummary({ pipeline, ...run, queryHint: queryHint(pipeline.exampleQuery, settings) });
  // With --sink=stdout the rows own stdout; the summary goes to stderr.
  (settings.sink === "stdout" ? process.stderr : process.stdout).write(`${summary}\n`);
  // The rest was read and committed; what was not ends the command with exit 1.
  if (run.unread.length > 0) throw new SourceError(`${run.unread.length === 1 ? run.unread[0] : `${run.unread.length} input files not read to their end, first ${run.unread[0]}`}`);
  return run.stats.interrupted ? "interrupted" : "done";
}

export const isExpectedError = (e: Error): boolean =>
  e instanceof SinkError || e instanceof SourceError || e instanceof PubSubError || e instanceof PortableRunError || e instanceof DashboardError;
