import { createReadStream, existsSync } from "fs";
import { truncate } from "fs/promises";
import { join } from "path";
import { createInterface } from "readline";
import { DuckDBInstance } from "@duckdb/node-api";
import { quoteIdent } from "../../schemas/duckdb";
import { TableSpec } from "../../schemas/table";
import { parseTimestamp } from "../../schemas/timestamp";
import { BigQuery } from "@google-cloud/bigquery";
import { queryRows } from "../bigquery/query";
import { DEFAULT_RETRY, describeError, REAL_CLOCK } from "../bigquery/retry";
import { SinkError } from "./sink";

/**
 * What a run of snapshot files (docs/catalog.md) asks of the warehouse before
 * its sink opens: what was last ingested, and room for the files that changed.
 */
export interface SnapshotStore {
  /** Per file name, the MD5 of its last ingestion in `log` (ingestion_log's columns). */
  lastIngested(log: TableSpec): Promise<Map<string, string>>;
  /** Empties the tables whose files are read again, so titles a file no longer has are gone. */
  clear(tables: readonly string[]): Promise<void>;
}

/** A DuckDB warehouse, through a connection of its own that is closed before the sink opens the file. */
export class DuckDbSnapshotStore implements SnapshotStore {
  constructor(private readonly path: string) {}

  private async withConnection<T>(work: (run: (sql: string) => Promise<unknown[][]>, has: (table: string) => Promise<boolean>) => Promise<T>): Promise<T> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(this.path);
    } catch (error) {
      throw new SinkError(`cannot open warehouse ${this.path}: ${(error as Error).message.split("\n")[0]}`);
    }
    const connection = await instance.connect();
    const run = async (sql: string): Promise<unknown[][]> => (await connection.runAndReadAll(sql)).getRows();
    const has = async (table: string): Promise<boolean> =>
      (await run(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' AND table_name = '${table.replace(/'/g, "''")}'`)).length > 0;
    try {
      return await work(run, has);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  lastIngested(log: TableSpec): Promise<Map<string, string>> {
    return this.withConnection(async (run, has) => {
      if (!(await has(log.name))) return new Map();
      const rows = await run(`SELECT file_name, md5 FROM ${quoteIdent(log.name)} QUALIFY row_number() OVER (PARTITION BY file_name ORDER BY finished_at DESC) = 1`);
      return new Map(rows.map((r) => [String(r[0]), String(r[1])]));
    });
  }

  clear(tables: readonly string[]): Promise<void> {
    if (tables.length === 0) return Promise.resolve();
    return this.withConnection(async (run, has) => {
      for (const table of tables) if (await has(table)) await run(`DELETE FROM ${quoteIdent(table)}`);
    });
  }
}

/**
 * A JSONL directory (io/sinks/jsonl-sink.ts), before the sink opens it. An
 * emptied table file is shorter than its journal's last length, which the
 * sink accepts (it only cuts files that are longer).
 */
export class JsonlSnapshotStore implements SnapshotStore {
  constructor(private readonly directory: string) {}

  private file = (table: string): string => join(this.directory, `${table}.jsonl`);

  async lastIngested(log: TableSpec): Promise<Map<string, string>> {
    const latest = new Map<string, { md5: string; finished: number }>();
    if (!existsSync(this.file(log.name))) return new Map();
    for await (const line of createInterface({ input: createReadStream(this.file(log.name)), crlfDelay: Infinity })) {
      if (line.trim() === "") continue;
      const row = JSON.parse(line) as { file_name: string; md5: string; finished_at: string };
      const finished = parseTimestamp(row.finished_at) as number;
      const seen = latest.get(row.file_name);
      if (seen === undefined || finished > seen.finished) latest.set(row.file_name, { md5: row.md5, finished });
    }
    return new Map([...latest].map(([name, entry]) => [name, entry.md5]));
  }

  async clear(tables: readonly string[]): Promise<void> {
    for (const table of tables) if (existsSync(this.file(table))) await truncate(this.file(table), 0);
  }
}

/** A sink that keeps nothing (stdout): every file is new, and there is nothing to empty. */
export const FORGETFUL_STORE: SnapshotStore = {
  lastIngested: async () => new Map(),
  clear: async () => undefined,
};

/**
 * A BigQuery dataset: the last ingestions are read with a query; nothing is
 * emptied beforehand, since the load sink (bigquery-load-sink.ts) replaces a
 * changed file's table in one WRITE_TRUNCATE load job once it was read
 * whole (rows streamed in the last 30 minutes could not be deleted anyway).
 */
export class BigQuerySnapshotStore implements SnapshotStore {
  constructor(private readonly client: BigQuery, private readonly project: string, private readonly dataset: string) {}

  async lastIngested(log: TableSpec): Promise<Map<string, string>> {
    const sql = `SELECT file_name, md5 FROM \`${this.project}.${this.dataset}.${log.name}\` WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY file_name ORDER BY finished_at DESC) = 1`;
    try {
      const rows = await queryRows(this.client, sql, DEFAULT_RETRY, REAL_CLOCK);
      return new Map(rows.map((r) => [String(r.file_name), String(r.md5)]));
    } catch (error) {
      // No dataset or log table yet: nothing was ingested.
      if ((error as { code?: unknown }).code === 404) return new Map();
      throw new SinkError(`BigQuery: reading ${log.name} failed: ${describeError(error)}`);
    }
  }

  async clear(): Promise<void> {
    // The load sink replaces the tables (WRITE_TRUNCATE) once their files were read.
  }
}
