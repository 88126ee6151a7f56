#!/usr/bin/env node
import { existsSync } from "fs";
import { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement, StatementType } from "@duckdb/node-api";
import { DEFAULT_WAREHOUSE } from "../io/sinks/duckdb-sink";
import { warehouseFileProblem } from "../io/sinks/warehouse-file";
import { exitWithError, UsageError } from "./errors";
import { commandLine } from "./parser";

/** Renders rows as an aligned text table. */
export function formatTable(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** What a query may be: it reads (SELECT, DESCRIBE, SHOW, SUMMARIZE, PRAGMA that show, EXPLAIN) and writes nothing, not even a file (COPY ... TO). */
const READING = new Set([StatementType.SELECT, StatementType.EXPLAIN]);

/** The one statement of `sql`, prepared, if it only reads; otherwise a UsageError (a second statement would otherwise be dropped silently). */
async function readOnlyStatement(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1) throw new UsageError(`give one SQL statement, got ${statements.count}`);
  const statement = await statements.prepare(0);
  const type = statement.statementType;
  if (!READING.has(type)) throw new UsageError(`queries are read-only: ${StatementType[type] ?? type} statements are refused (use SELECT)`);
  return statement;
}

/** `npm run query -- [--warehouse FILE] "SQL"`: runs SQL on the warehouse, read-only, and prints the result. */
async function main(): Promise<void> {
  const argv = commandLine(process.argv.slice(2), "npm run query --", '$0 [--warehouse FILE] "SQL"\n\nRuns a read-only SQL query on the DuckDB warehouse and prints the rows.')
    .option("warehouse", { type: "string", default: DEFAULT_WAREHOUSE, describe: "DuckDB file of the warehouse" })
    .example('$0 "SELECT count(*) FROM video_playback_alerts"', "count the alerts")
    .strictOptions()
    .parseSync();
  const sql = argv._.map(String).join(" ").trim();
  if (sql === "") throw new UsageError("give a SQL query to run");
  if (!existsSync(argv.warehouse)) throw new UsageError(`no warehouse at ${argv.warehouse}: run a pipeline first`);
  const warehouseProblem = await warehouseFileProblem(argv.warehouse);
  if (warehouseProblem !== undefined) throw new UsageError(warehouseProblem);
  const instance = await DuckDBInstance.create(argv.warehouse, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  try {
    const reader = await (await readOnlyStatement(connection, sql)).runAndReadAll();
    const rows = reader.getRowsJson().map((row) => row.map((v) => (v === null ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v))));
    process.stdout.write(`${formatTable(reader.columnNames(), rows)}\n(${rows.length} row${rows.length === 1 ? "" : "s"})\n`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

main().catch((error) => exitWithError(error, (e) => e.message.includes("Error:")));
