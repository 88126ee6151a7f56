import { FieldType, TableSpec } from "./table";

const DUCKDB_TYPES: Record<FieldType, string> = {
  INT64: "BIGINT",
  FLOAT64: "DOUBLE",
  STRING: "VARCHAR",
  BOOL: "BOOLEAN",
  TIMESTAMP: "TIMESTAMP", // UTC wall time: BigQuery TIMESTAMP semantics without a session zone
  DATE: "DATE",
  UUID: "UUID",
};

export function duckdbType(type: FieldType): string {
  return DUCKDB_TYPES[type];
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** CREATE TABLE for a spec; the key becomes the primary key that makes writes idempotent. */
export function createTableSql(table: TableSpec): string {
  const columns = table.fields.map((f) => `  ${quoteIdent(f.name)} ${duckdbType(f.type)}${f.mode === "REQUIRED" ? " NOT NULL" : ""}`);
  columns.push(`  PRIMARY KEY (${table.key.map(quoteIdent).join(", ")})`);
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table.name)} (\n${columns.join(",\n")}\n)`;
}
