import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DuckDBInstance } from "@duckdb/node-api";

export const ROOT = join(__dirname, "..", "..");

/** A fresh temporary directory, removed after the current test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "bva-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeLines(path: string, lines: readonly string[]): string {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(""));
  return path;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a compiled entry point (`dist/<script>`) as its npm script would, without the build step. */
export function runScript(script: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, [join(ROOT, "dist", script), ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 1 << 28,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `npm run pipeline -- <args>` as a user would (without the build step). */
export function runCli(args: readonly string[], cwd = ROOT, env?: NodeJS.ProcessEnv): CliResult {
  return runScript("cli/main.js", args, { cwd, env });
}

/** Rows of a query on a DuckDB file, as JSON-friendly objects. */
export async function query(warehouse: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(warehouse);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The text of the summary line labelled `label` (labels are aligned with spaces). */
export function summaryLine(summary: string, label: string): string {
  const line = summary.split("\n").find((l) => l.startsWith(`  ${label} `));
  if (line === undefined) throw new Error(`no "${label}" line in:\n${summary}`);
  return line.slice(label.length + 2).trim();
}

/**
 * Every table of results in a warehouse (views and merged states included,
 * not the ledger's `__` tables, which record what was read), rows sorted,
 * without what differs between two runs by design: when a record arrived
 * (`received_at` and the `run_date` taken from it). Two warehouses that hold
 * the same results compare equal.
 */
export async function warehouseTables(warehouse: string): Promise<Record<string, Record<string, unknown>[]>> {
  const columns = await query(warehouse, "SELECT table_name, list(column_name ORDER BY ordinal_position) AS columns FROM information_schema.columns WHERE NOT starts_with(table_name, '__') GROUP BY ALL ORDER BY ALL");
  const tables: Record<string, Record<string, unknown>[]> = {};
  for (const { table_name, columns: names } of columns) {
    const all = names as string[];
    const processingTime = all.includes("received_at") ? ["received_at", "run_date"] : [];
    const kept = all.filter((c) => !processingTime.includes(c)).map((c) => `"${c}"`);
    tables[String(table_name)] = await query(warehouse, `SELECT ${kept.join(", ")} FROM "${table_name}" ORDER BY ALL`);
  }
  return tables;
}

/**
 * A progress signal of a DuckDB warehouse a run is writing: the bytes of its
 * file and its write-ahead log have grown by more than 64 KiB since their
 * lowest (a commit's rows are being written or are durable). Tests that kill
 * a run mid-way wait for it rather than for a time, which a fast machine
 * would outrun.
 */
export function warehouseGrew(warehouse: string): () => boolean {
  const bytes = (path: string): number => (existsSync(path) ? statSync(path).size : 0);
  let low = Number.POSITIVE_INFINITY;
  return () => {
    const now = bytes(warehouse) + bytes(`${warehouse}.wal`);
    low = Math.min(low, now);
    return now > low + (64 << 10);
  };
}

/** Sets (or, for undefined, removes) environment variables of this process; returns what puts them back. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  return () => apply(before);
}
