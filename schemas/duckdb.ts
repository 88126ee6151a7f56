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
  if (field.mode === "REPEATED") return `${duckdbType({ ...field, mode: "NULLABLE" })}[]`;
  if (field.type !== "RECORD") return DUCKDB_TYPES[field.type];
  return `STRUCT(${field.fields!.map((f) => `${quoteIdent(f.name)} ${duckdbType(f)}`).join(", ")})`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * CREATE TABLE for a spec. With `primaryKey` the key becomes the primary key
 * that makes upserts possible; without it, whoever writes keeps keys unique.
 */
export function createTableSql(table: TableSpec, primaryKey = true): string {
  const columns = table.fields.map((f) => `  ${quoteIdent(f.name)} ${duckdbType(f)}${f.mode === "NULLABLE" ? "" : " NOT NULL"}`);
  if (primaryKey) columns.push(`  PRIMARY KEY (${table.key.map(quoteIdent).join(", ")})`);
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table.name)} (\n${columns.join(",\n")}\n)`;
}

/**
 * A scalar column of a table's staging copy. Rows are appended to staging
 * with scalars only (appending DuckDB STRUCT values from JS costs far more
 * than the insert): a RECORD becomes `<record>__present` plus one column per
 * nested field, `<record>__<field>`, and the INSERT rebuilds the STRUCT.
 */
export interface StagingColumn {
  readonly name: string;
  /** The scalar field it holds; for a `__present` column, BOOL. */
  readonly field: FieldSpec;
  /** Where its value is in a row: record names, then the field; a `__present` column is true when the record is not null. */
  readonly path: readonly string[];
  readonly present?: boolean;
  /** A REPEATED STRING field, staged as its items joined by LIST_SEPARATOR (appending DuckDB lists from JS costs about 60 us a row, text 3 us). */
  readonly joined?: boolean;
}

/** Joins a staged list's items (the ASCII unit separator: not in any text the pipelines store); an empty list is "". */
export const LIST_SEPARATOR = "\u001f";

const PRESENT: Omit<FieldSpec, "name"> = { type: "BOOL", mode: "REQUIRED", description: "The record is not null." };

export function stagingColumns(fields: readonly FieldSpec[], prefix: readonly string[] = []): StagingColumn[] {
  const columns: StagingColumn[] = [];
  for (const field of fields) {
    const path = [...prefix, field.name];
    if (field.mode === "REPEATED") {
      columns.push({ name: path.join("__"), field: { ...field, type: "STRING", mode: "NULLABLE" }, path, joined: true });
    } else if (field.type !== "RECORD") {
      columns.push({ name: path.join("__"), field, path });
    } else {
      columns.push({ name: `${path.join("__")}__present`, field: { ...PRESENT, name: `${field.name}__present` }, path, present: true });
      columns.push(...stagingColumns(field.fields!, path));
    }
  }
  return columns;
}

/** CREATE TEMP TABLE of a table's staging copy (no constraints: duplicates are resolved by the INSERT). */
export function createStagingSql(table: TableSpec, staging: string): string {
  const columns = stagingColumns(table.fields).map((c) => `${quoteIdent(c.name)} ${duckdbType(c.field)}`);
  return `CREATE OR REPLACE TEMP TABLE ${quoteIdent(staging)} (${columns.join(", ")})`;
}

function selectField(field: FieldSpec, prefix: readonly string[]): string {
  const path = [...prefix, field.name];
  if (field.mode === "REPEATED") {
    const column = quoteIdent(path.join("__"));
    return `CASE WHEN ${column} = '' THEN []::${duckdbType(field)} ELSE string_split(${column}, chr(31)) END`;
  }
  if (field.type !== "RECORD") return quoteIdent(path.join("__"));
  const members = field.fields!.map((f) => `${quoteIdent(f.name)} := ${selectField(f, path)}`);
  return `CASE WHEN ${quoteIdent(`${path.join("__")}__present`)} THEN struct_pack(${members.join(", ")}) END`;
}

/** The table's columns, in order, from its staging copy. */
export function selectFromStagingSql(table: TableSpec): string {
  return table.fields.map((f) => selectField(f, [])).join(", ");
}
