import { mkdir } from "fs/promises";
import { dirname } from "path";
import { DuckDBAppender, DuckDBConnection, DuckDBDateValue, DuckDBInstance, DuckDBTimestampValue } from "@duckdb/node-api";
import { createStagingSql, createTableSql, duckdbType, LIST_SEPARATOR, quoteIdent, selectFromStagingSql, StagingColumn, stagingColumns } from "../../schemas/duckdb";
import { FieldSpec, Row, TableSpec, Value } from "../../schemas/table";
import { duckdbViewSql, ViewSpec } from "../../schemas/views";
import { MergeSpec, MergeSpecs, mergeInto, panesByKey } from "./merge";
import { Ledger, LEDGER_RETENTION_DAYS, Progress, Sink, SinkError, TableBatch, WriteResult } from "./sink";

/** `ON CONFLICT DO UPDATE` that replaces every non-key column: a merged row is rewritten whole. */
function replaceOnConflict(table: TableSpec): string {
  const columns = table.fields.filter((f) => !table.key.includes(f.name)).map((f) => `${quoteIdent(f.name)} = excluded.${quoteIdent(f.name)}`);
  return `ON CONFLICT DO UPDATE SET ${columns.join(", ")}`;
}

/** Where a merged table's states live, beside it. */
const stateTable = (table: TableSpec): string => `${table.name}__state`;

export const DEFAULT_WAREHOUSE = ".warehouse/warehouse.duckdb";

const INT32_LIMIT = 2 ** 31;

/** The ledger's tables: input units committed per pipeline, and each pipeline's watermark. */
const UNITS_TABLE = "__committed_units";
const WATERMARKS_TABLE = "__watermarks";

/** A staging column's value in a row (see stagingColumns). */
function stagedValue(row: Row, column: StagingColumn): Value {
  let value: Value | undefined = row;
  for (const name of column.path) {
    value = value === null || value === undefined ? null : (value as Row)[name];
  }
  if (column.present) return value !== null && value !== undefined;
  if (column.joined) return ((value ?? []) as readonly string[]).join(LIST_SEPARATOR);
  return value === undefined ? null : value;
}

function appendValue(appender: DuckDBAppender, field: FieldSpec, value: Value): void {
  if (value === null || value === undefined) return appender.appendNull();
  switch (field.type) {
    case "INT64":
      return Math.abs(value as number) < INT32_LIMIT ? appender.appendInteger(value as number) : appender.appendBigInt(BigInt(value as number));
    case "FLOAT64":
      return appender.appendDouble(value as number);
    case "STRING":
    case "UUID":
      return appender.appendVarchar(value as string);
    case "BOOL":
      return appender.appendBoolean(value as boolean);
    case "TIMESTAMP":
      return appender.appendTimestamp(new DuckDBTimestampValue(BigInt(value as number)));
    case "DATE":
      return appender.appendDate(new DuckDBDateValue(value as number));
    case "RECORD":
      throw new Error(`${field.name}: records are staged as their fields`);
  }
}

/**
 * The embedded warehouse: one DuckDB file. Each write appends every table's
 * rows to a temporary staging table and moves them with
 * `INSERT ... ON CONFLICT DO NOTHING`, all in one transaction: rows are keyed,
 * so re-reading input stores nothing twice, and a batch is committed whole or not at all.
 * Merged tables (see merge.ts) keep their CombineFn states in `<table>__state`.
 */
export class DuckDbSink implements Sink, Ledger {
  readonly ledger: Ledger = this;
  private instance?: DuckDBInstance;
  private connection?: DuckDBConnection;
  private tables = new Map<string, TableSpec>();
  private merges = new Map<string, MergeSpec>();
  private readonly staging = new Map<string, StagingColumn[]>();
  /** One operation at a time on the connection: the ledger's lookups share staging tables with commits. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  private async connect(): Promise<DuckDBConnection> {
    if (this.connection) return this.connection;
    await mkdir(dirname(this.path), { recursive: true });
    try {
      this.instance = await DuckDBInstance.create(this.path);
    } catch (error) {
      throw new SinkError(`cannot open warehouse ${this.path}: ${(error as Error).message.split("\n")[0]}`);
    }
    this.connection = await this.instance.connect();
    return this.connection;
  }

  /** Names of the tables already in the warehouse. */
  async existingTables(): Promise<string[]> {
    const reader = await (await this.connect()).runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'");
    return reader.getRows().map((r) => String(r[0]));
  }

  async open(tables: readonly TableSpec[], merges: MergeSpecs = new Map(), views: readonly ViewSpec[] = []): Promise<void> {
    const connection = await this.connect();
    await connection.run(`CREATE TABLE IF NOT EXISTS ${UNITS_TABLE} (pipeline VARCHAR, unit VARCHAR, committed_at TIMESTAMP NOT NULL, PRIMARY KEY (pipeline, unit))`);
    await connection.run(`CREATE TABLE IF NOT EXISTS ${WATERMARKS_TABLE} (pipeline VARCHAR PRIMARY KEY, watermark_micros BIGINT NOT NULL)`);
    await connection.run(`DELETE FROM ${UNITS_TABLE} WHERE committed_at < now()::TIMESTAMP - INTERVAL ${LEDGER_RETENTION_DAYS} DAY`);
    await connection.run(`CREATE OR REPLACE TEMP TABLE staging_keys (k VARCHAR)`);
    for (const table of tables) {
      await connection.run(createTableSql(table));
      await this.checkColumns(table);
      await connection.run(createStagingSql(table, `staging_${table.name}`));
      this.tables.set(table.name, table);
      this.staging.set(table.name, stagingColumns(table.fields));
      const merge = merges.get(table.name);
      if (merge) {
        await connection.run(`CREATE TABLE IF NOT EXISTS ${quoteIdent(stateTable(table))} (key VARCHAR PRIMARY KEY, state VARCHAR NOT NULL)`);
        await connection.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(`staging_${stateTable(table)}`)} (key VARCHAR, state VARCHAR)`);
        this.merges.set(table.name, merge);
      }
    }
    for (const view of views) await connection.run(`CREATE OR REPLACE VIEW ${quoteIdent(view.name)} AS\n${duckdbViewSql(view)}`);
  }

  /** A warehouse written by an older schema is reported, not silently mixed. */
  private async checkColumns(table: TableSpec): Promise<void> {
    const reader = await this.connection!.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $name ORDER BY ordinal_position`,
      { name: table.name },
    );
    const found = reader.getRows().map((r) => `${r[0]} ${r[1]}`).join(", ");
    const expected = table.fields.map((f) => `${f.name} ${duckdbType(f)}`).join(", ");
    // DuckDB quotes only the struct field names that need it; compare unquoted.
    if (found.replace(/"/g, "") !== expected.replace(/"/g, "")) {
      throw new SinkError(`table ${table.name} in ${this.path} has columns (${found}), expected (${expected}): use another --warehouse or migrate it`);
    }
    // Storing each key once (ON CONFLICT) needs the key as the table's primary key.
    const keys = await this.connection!.runAndReadAll(
      `SELECT array_to_string(constraint_column_names, ', ') FROM duckdb_constraints() WHERE schema_name = 'main' AND table_name = $name AND constraint_type = 'PRIMARY KEY'`,
      { name: table.name },
    );
    const key = table.key.join(", ");
    if (keys.getRows()[0]?.[0] !== key) {
      throw new SinkError(`table ${table.name} in ${this.path} does not have PRIMARY KEY (${key}), which keeps re-read rows from being stored twice: use another --warehouse or recreate the table with it`);
    }
  }

  /** Runs `operation` once every operation started before it has finished. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.lock.then(operation, operation);
    this.lock = result.catch(() => undefined);
    return result;
  }

  write(batch: TableBatch, progress?: Progress): Promise<WriteResult> {
    return this.exclusive(() => this.writeNow(batch, progress));
  }

  private async writeNow(batch: TableBatch, progress?: Progress): Promise<WriteResult> {
    const connection = this.connection!;
    const result: WriteResult = new Map();
    await connection.run("BEGIN TRANSACTION");
    try {
      if (progress) await this.record(progress);
      for (const [name, rows] of batch) {
        if (rows.length === 0) continue;
        const table = this.tables.get(name)!;
        const merge = this.merges.get(name);
        if (merge) {
          const merged = await this.mergePanes(table, merge, rows);
          result.set(name, { stored: merged.stored, duplicates: 0, rows: merged.rows });
        } else {
          const inserted = await this.insert(table, rows, "ON CONFLICT DO NOTHING");
          result.set(name, { stored: inserted, duplicates: rows.length - inserted });
        }
      }
      await connection.run("COMMIT");
    } catch (error) {
      await connection.run("ROLLBACK");
      throw error;
    }
    return result;
  }

  /** Records a commit's units and watermark (inside its transaction). */
  private async record(progress: Progress): Promise<void> {
    const connection = this.connection!;
    if (progress.units.length > 0) {
      await this.stageKeys(progress.units);
      await connection.run(`INSERT INTO ${UNITS_TABLE} SELECT $pipeline, k, now()::TIMESTAMP FROM temp.main.staging_keys ON CONFLICT DO NOTHING`, { pipeline: progress.pipeline });
      await connection.run("DELETE FROM temp.main.staging_keys");
    }
    if (Number.isFinite(progress.watermarkMicros)) {
      await connection.run(`INSERT OR REPLACE INTO ${WATERMARKS_TABLE} VALUES ($pipeline, $watermark)`, {
        pipeline: progress.pipeline,
        watermark: BigInt(Math.round(progress.watermarkMicros)),
      });
    }
  }

  private async stageKeys(keys: readonly string[]): Promise<void> {
    const appender = await this.connection!.createAppender("staging_keys", "main", "temp");
    for (const key of keys) {
      appender.appendVarchar(key);
      appender.endRow();
    }
    appender.closeSync();
  }

  /** The staged keys found in `column` of `table`; empties the staging table. */
  private async stagedKeysIn(table: string, column: string, where = "", params: Record<string, string> = {}): Promise<Set<string>> {
    const connection = this.connection!;
    const reader = await connection.runAndReadAll(
      `SELECT k FROM temp.main.staging_keys WHERE k IN (SELECT CAST(${quoteIdent(column)} AS VARCHAR) FROM ${quoteIdent(table)}${where})`,
      params,
    );
    await connection.run("DELETE FROM temp.main.staging_keys");
    return new Set(reader.getRows().map((r) => String(r[0])));
  }

  committedUnits(pipeline: string, units: readonly string[]): Promise<Set<string>> {
    if (units.length === 0) return Promise.resolve(new Set());
    return this.exclusive(async () => {
      await this.stageKeys(units);
      return this.stagedKeysIn(UNITS_TABLE, "unit", " WHERE pipeline = $pipeline", { pipeline });
    });
  }

  watermark(pipeline: string): Promise<number> {
    return this.exclusive(async () => {
      const reader = await this.connection!.runAndReadAll(`SELECT watermark_micros FROM ${WATERMARKS_TABLE} WHERE pipeline = $pipeline`, { pipeline });
      const rows = reader.getRows();
      return rows.length === 0 ? Number.NEGATIVE_INFINITY : Number(rows[0][0]);
    });
  }

  storedKeys(table: string, keys: readonly string[]): Promise<Set<string>> {
    const spec = this.tables.get(table)!;
    if (keys.length === 0) return Promise.resolve(new Set());
    return this.exclusive(async () => {
      await this.stageKeys(keys);
      return this.stagedKeysIn(table, spec.key[0]);
    });
  }

  rowCount(table: string): Promise<number> {
    return this.exclusive(async () => {
      const reader = await this.connection!.runAndReadAll(`SELECT count(*) FROM ${quoteIdent(table)}`);
      return Number(reader.getRows()[0][0]);
    });
  }

  /** Appends rows to the table's staging copy and moves them in with `clause`; returns rows changed. */
  private async insert(table: TableSpec, rows: readonly Row[], clause: string): Promise<number> {
    const connection = this.connection!;
    const staging = `temp.main.${quoteIdent(`staging_${table.name}`)}`;
    const appender = await connection.createAppender(`staging_${table.name}`, "main", "temp");
    const columns = this.staging.get(table.name)!;
    for (const row of rows) {
      for (const column of columns) appendValue(appender, column.field, stagedValue(row, column));
      appender.endRow();
    }
    appender.closeSync();
    const inserted = await connection.run(`INSERT INTO ${quoteIdent(table.name)} SELECT ${selectFromStagingSql(table)} FROM ${staging} ${clause}`);
    await connection.run(`DELETE FROM ${staging}`);
    return inserted.rowsChanged;
  }

  /**
   * Merges panes with the states stored in `<table>__state` (JSON by key),
   * stores the new states and upserts the rows they produce.
   */
  private async mergePanes(table: TableSpec, merge: MergeSpec, panes: readonly Row[]): Promise<{ stored: number; rows: Row[] }> {
    const connection = this.connection!;
    const incoming = panesByKey(table, panes);
    const staging = `staging_${stateTable(table)}`;
    const keys = await connection.createAppender(staging, "main", "temp");
    for (const key of incoming.keys()) {
      keys.appendVarchar(key);
      keys.appendNull();
      keys.endRow();
    }
    keys.closeSync();
    const reader = await connection.runAndReadAll(
      `SELECT s.key, s.state FROM ${quoteIdent(stateTable(table))} s JOIN temp.main.${quoteIdent(staging)} k USING (key)`,
    );
    const stored = new Map<string, Row>(reader.getRows().map((r) => [String(r[0]), JSON.parse(String(r[1])) as Row]));
    await connection.run(`DELETE FROM temp.main.${quoteIdent(staging)}`);
    const merged = mergeInto(merge, stored, incoming);
    const states = await connection.createAppender(staging, "main", "temp");
    for (const [key, state] of merged.states) {
      states.appendVarchar(key);
      states.appendVarchar(JSON.stringify(state));
      states.endRow();
    }
    states.closeSync();
    await connection.run(`INSERT OR REPLACE INTO ${quoteIdent(stateTable(table))} SELECT * FROM temp.main.${quoteIdent(staging)}`);
    await connection.run(`DELETE FROM temp.main.${quoteIdent(staging)}`);
    const rows = [...merged.rows.values()];
    const upserted = rows.length === 0 ? 0 : await this.insert(table, rows, replaceOnConflict(table));
    return { stored: upserted, rows: rows };
  }

  /** A connection of its own to the open warehouse, to read while commits go on (the dashboard); close it before the sink. */
  readerConnection(): Promise<DuckDBConnection> {
    if (this.instance === undefined) throw new Error(`warehouse ${this.path} is not open`);
    return this.instance.connect();
  }

  async close(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
  }

  location(): string[] {
    return [`DuckDB warehouse ${this.path}: tables ${[...this.tables.keys()].join(", ")}`];
  }
}
