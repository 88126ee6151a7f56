import { mkdir } from "fs/promises";
import { dirname } from "path";
import { DuckDBAppender, DuckDBConnection, DuckDBDateValue, DuckDBInstance, DuckDBTimestampValue } from "@duckdb/node-api";
import { createTableSql, duckdbType, quoteIdent } from "../../schemas/duckdb";
import { FieldSpec, Row, TableSpec } from "../../schemas/table";
import { Sink, SinkError, TableBatch, WriteResult } from "./sink";

export const DEFAULT_WAREHOUSE = ".warehouse/warehouse.duckdb";

const INT32_LIMIT = 2 ** 31;

function appendValue(appender: DuckDBAppender, field: FieldSpec, value: Row[string]): void {
  if (value === null || value === undefined) return appender.appendNull();
  switch (field.type) {
    case "INT64":
      return Math.abs(value as number) < INT32_LIMIT ? appender.appendInteger(value as number) : appender.appendBigInt(BigInt(value));
    case "FLOAT64":
      return appender.appendDouble(value as number);
    case "STRING":
      return appender.appendVarchar(value as string);
    case "BOOL":
      return appender.appendBoolean(value as boolean);
    case "TIMESTAMP":
      return appender.appendTimestamp(new DuckDBTimestampValue(BigInt(value)));
    case "DATE":
      return appender.appendDate(new DuckDBDateValue(value as number));
  }
}

/**
 * The embedded warehouse: one DuckDB file. Each write appends every table's
 * rows to a temporary staging table and moves them with
 * `INSERT ... ON CONFLICT DO NOTHING`, all in one transaction: rows are keyed,
 * so re-reading input stores nothing twice, and a batch is committed whole or not at all.
 */
export class DuckDbSink implements Sink {
  private instance?: DuckDBInstance;
  private connection?: DuckDBConnection;
  private tables = new Map<string, TableSpec>();

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

  async open(tables: readonly TableSpec[]): Promise<void> {
    const connection = await this.connect();
    for (const table of tables) {
      await connection.run(createTableSql(table));
      await this.checkColumns(table);
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(`staging_${table.name}`)} AS SELECT * FROM ${quoteIdent(table.name)} LIMIT 0`);
      this.tables.set(table.name, table);
    }
  }

  /** A warehouse written by an older schema is reported, not silently mixed. */
  private async checkColumns(table: TableSpec): Promise<void> {
    const reader = await this.connection!.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $name ORDER BY ordinal_position`,
      { name: table.name },
    );
    const found = reader.getRows().map((r) => `${r[0]} ${r[1]}`).join(", ");
    const expected = table.fields.map((f) => `${f.name} ${duckdbType(f.type)}`).join(", ");
    if (found !== expected) {
      throw new SinkError(`table ${table.name} in ${this.path} has columns (${found}), expected (${expected}): use another --warehouse or migrate it`);
    }
  }

  async write(batch: TableBatch): Promise<WriteResult> {
    const connection = this.connection!;
    const result: WriteResult = new Map();
    await connection.run("BEGIN TRANSACTION");
    try {
      for (const [name, rows] of batch) {
        if (rows.length === 0) continue;
        const table = this.tables.get(name)!;
        const staging = `staging_${name}`;
        const appender = await connection.createAppender(staging, "main", "temp");
        for (const row of rows) {
          for (const field of table.fields) appendValue(appender, field, row[field.name]);
          appender.endRow();
        }
        appender.closeSync();
        const inserted = await connection.run(`INSERT INTO ${quoteIdent(name)} SELECT * FROM temp.main.${quoteIdent(staging)} ON CONFLICT DO NOTHING`);
        await connection.run(`DELETE FROM temp.main.${quoteIdent(staging)}`);
        result.set(name, { stored: inserted.rowsChanged, duplicates: rows.length - inserted.rowsChanged });
      }
      await connection.run("COMMIT");
    } catch (error) {
      await connection.run("ROLLBACK");
      throw error;
    }
    return result;
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
