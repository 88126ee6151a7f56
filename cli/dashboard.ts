#!/usr/bin/env node
import { existsSync } from "fs";
import { DEFAULT_WAREHOUSE } from "../io/sinks/duckdb-sink";
import { warehouseFileProblem } from "../io/sinks/warehouse-file";
import { PIPELINES } from "../pipelines/registry";
import { DashboardError, DashboardServer } from "../runners/dashboard/server";
import { WarehouseReader } from "../runners/dashboard/warehouse-reader";
import { DEFAULT_DASHBOARD_PORT } from "../runners/settings";
import { exitWithError, UsageError } from "./errors";
import { commandLine } from "./parser";

/** Opens the warehouse read-only once, so a file another process writes is refused now with one line, not on every page. */
async function checkReadable(warehouse: string): Promise<void> {
  try {
    (await WarehouseReader.ofFile(warehouse))?.close();
  } catch (error) {
    const message = (error as Error).message;
    if (/lock/i.test(message)) throw new UsageError(`warehouse ${warehouse} is in use by another process (a running pipeline?): give that run --dashboard instead`);
    throw new UsageError(`cannot open warehouse ${warehouse}: ${message.split("\n")[0]}`);
  }
}

/** `npm run dashboard -- [--warehouse FILE] [--port N]`: the dashboard over a warehouse no run is writing, until Ctrl-C. */
async function main(): Promise<void> {
  const argv = commandLine(process.argv.slice(2), "npm run dashboard --", "$0 [--warehouse FILE] [--port N]\n\nServes the dashboard (one page per pipeline) and Prometheus /metrics over a DuckDB warehouse, read-only, until Ctrl-C.")
    .option("warehouse", { type: "string", default: DEFAULT_WAREHOUSE, describe: "DuckDB file of the warehouse" })
    .option("port", { type: "number", default: DEFAULT_DASHBOARD_PORT, describe: "port on 127.0.0.1 (0: any free port)" })
    .example("$0 --warehouse /tmp/w.duckdb --port 9000", "the pages of another warehouse")
    .strict()
    .parseSync();
  const port = argv.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port must be a whole number from 0 to 65535");
  if (!existsSync(argv.warehouse)) throw new UsageError(`no warehouse at ${argv.warehouse}: run a pipeline first (or give --warehouse)`);
  const problem = await warehouseFileProblem(argv.warehouse);
  if (problem !== undefined) throw new UsageError(problem);
  await checkReadable(argv.warehouse);
  const dashboard = await DashboardServer.start({ port, warehouse: argv.warehouse, pipelines: Object.values(PIPELINES) });
  process.stderr.write(`dashboard: ${dashboard.url} over ${argv.warehouse} (read-only; Prometheus metrics: ${dashboard.url}metrics); Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await dashboard.close();
}

main().catch((error) => exitWithError(error, (e) => e instanceof DashboardError));
