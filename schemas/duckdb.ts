import { FieldSpec, TableSpec } from "./table";

const DUCKDB_TYPES: Record<Exclude<FieldSpec["type"], "RECORD">, string> = {
  INT64: "BIGINT",
  FLOAT64: "DOUBLE",
  STRING: "VARCHAR",
  BOOL: "BOOLEAN",
  TIMESTAMP: "TIMESTAMP", // UTC wall time: BigQuery TIMESTAMP semantics without a session zone
  DATE: "DATE",
  UUID: "UUID",
};

/** The DuckDB type of a field; a RECORD is a STRUCT of its fields' types. */
export function duckdbType(field: FieldSpec): string {
  if (field.type !== "RECORD") return DUCKDB_TYPES[field.type];
  return `STRUCT(${field.fields!.map((f) => `${quoteIdent(f.name)} ${duckdbType(f)}`).join(", ")})`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** CREATE TABLE for a spec; the key becomes the primary key that makes writes idempotent. */
export function createTableSql(table: TableSpec): string {
  const columns = table.fields.map((f) => `  ${quoteIdent(f.name)} ${duckdbType(f)}${f.mode === "REQUIRED" ? " NOT NULL" : ""}`);
  columns.push(`  PRIMARY KEY (${table.key.map(quoteIdent).join(", ")})`);
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table.name)} (\n${columns.join(",\n")}\n)`;
}
