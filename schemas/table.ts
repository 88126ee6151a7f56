/**
 * The one description of every table the project writes. DuckDB DDL, BigQuery
 * JSON schemas, Terraform and the TypeScript row types are all derived from
 * these specs, so a column is added or renamed in exactly one place.
 */

/**
 * Column types, spelled as BigQuery Standard SQL spells them, plus UUID: a
 * 128-bit id written 8-4-4-4-12 in hex, a STRING in BigQuery and a UUID in
 * DuckDB (whose index on it is far cheaper than on text). RECORD is a nested
 * record of `fields` (a BigQuery RECORD, a DuckDB STRUCT), kept nested in
 * rows as a plain object.
 */
export type FieldType = "INT64" | "FLOAT64" | "STRING" | "BOOL" | "TIMESTAMP" | "DATE" | "UUID" | "RECORD";
/** BigQuery's modes; a REPEATED field is an array of its type (a DuckDB LIST), never null: empty when absent. */
export type FieldMode = "REQUIRED" | "NULLABLE" | "REPEATED";

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly mode: FieldMode;
  readonly description: string;
  /** Validation: the only values a STRING field may take. */
  readonly allowed?: readonly string[];
  /** Validation: the smallest value an INT64 field may take. */
  readonly min?: number;
  /** Validation: the largest value an INT64 field may take. */
  readonly max?: number;
  /** RECORD only: the nested fields. */
  readonly fields?: readonly FieldSpec[];
}

export interface TableSpec {
  readonly name: string;
  readonly description: string;
  readonly fields: readonly FieldSpec[];
  /** Columns that identify a row: a sink stores one row per key (first write wins). */
  readonly key: readonly string[];
  /** DATE column the warehouse partitions by (BigQuery DAY partitioning). */
  readonly partitionField: string;
  /** Columns BigQuery clusters by, in order. */
  readonly clustering: readonly string[];
}

/**
 * In-memory representation of a column value. TIMESTAMP is epoch microseconds
 * and DATE is days since 1970-01-01 (both exact in a double), so rows stay
 * plain JSON-compatible objects that cross Beam coders and worker threads
 * cheaply; sinks format them for their destination.
 */
type JsValue<F extends FieldSpec> = F["type"] extends "RECORD"
  ? F extends { readonly fields: infer Nested extends readonly FieldSpec[] }
    ? RowOf<Nested>
    : never
  : F["type"] extends "STRING" | "UUID"
  ? string
  : F["type"] extends "BOOL"
  ? boolean
  : number;

export type RowOf<Fs extends readonly FieldSpec[]> = {
  [F in Fs[number] as F["name"]]: F["mode"] extends "REQUIRED" ? JsValue<F> : F["mode"] extends "REPEATED" ? JsValue<F>[] : JsValue<F> | null;
};

/**
 * A column value: a scalar, a nested record, or (in panes of a merged table)
 * arrays and objects of a CombineFn's accumulator state (see io/sinks/merge.ts).
 */
export type Value = string | number | boolean | null | readonly number[] | readonly string[] | Row;

/** A row of a table, or a pane of a merged table. */
export interface Row {
  [column: string]: Value;
}

/** Identity helpers that check a literal (declared `as const`) against the spec types. */
export const fieldSpecs = <T extends readonly FieldSpec[]>(fields: T): T => fields;
export const tableSpec = <T extends TableSpec>(table: T): T => table;
