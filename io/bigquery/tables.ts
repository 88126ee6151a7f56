import { bigQuerySchema, BigQueryField } from "../../schemas/bigquery";
import { FieldSpec, Row, TableSpec } from "../../schemas/table";
import { utcDay } from "../../schemas/timestamp";

/**
 * BigQuery table resources derived from the schema source (schemas/*.ts):
 * columns from `fields`, DAY time partitioning on `partitionField`, clustering
 * on `clustering`. A merged table (io/sinks/merge.ts) becomes an append-only
 * `<table>__versions` table, a view named like the table that shows the
 * latest version of each key, and a `<table>__state` log of the CombineFn
 * states (docs/bigquery.md says why).
 */

/** Columns a versions table adds to the table's own. */
const VERSION_FIELDS: readonly FieldSpec[] = [
  { name: "merge_key", type: "STRING", mode: "REQUIRED", description: "The row's key as the sink writes it (key columns joined)." },
  { name: "merge_version", type: "INT64", mode: "REQUIRED", description: "When the sink wrote this version (epoch microseconds); the view shows the largest per key." },
];

export const versionsTableName = (table: TableSpec): string => `${table.name}__versions`;
export const stateTableName = (table: TableSpec): string => `${table.name}__state`;

/** The append-only table that holds every version of a merged table's rows; the view shows the latest. */
export function versionsTable(table: TableSpec): TableSpec {
  return {
    name: versionsTableName(table),
    description: `Every version of the rows of ${table.name}, which is a view of the latest per key.`,
    fields: [...table.fields, ...VERSION_FIELDS],
    key: ["merge_key", "merge_version"],
    partitionField: table.partitionField,
    clustering: table.clustering,
  };
}

/**
 * The append-only log of a merged table's CombineFn states, read back when a
 * run starts (like DuckDB's `<table>__state`). It also holds states that have
 * no row yet (an order event before any message).
 */
export function stateTable(table: TableSpec): TableSpec {
  return {
    name: stateTableName(table),
    description: `CombineFn states of ${table.name} by key, every version; the sink reads the latest of each key when it opens.`,
    fields: [
      VERSION_FIELDS[0],
      { name: "merge_state", type: "STRING", mode: "REQUIRED", description: "The state, as JSON." },
      VERSION_FIELDS[1],
      { name: "run_date", type: "DATE", mode: "REQUIRED", description: "UTC date of merge_version; the partition column." },
    ],
    key: ["merge_key", "merge_version"],
    partitionField: "run_date",
    clustering: ["merge_key"],
  };
}

/** A merged table's row as a version of `<table>__versions` (`version`: epoch microseconds of the write). */
export const versionRow = (row: Row, key: string, version: number): Row => ({ ...row, merge_key: key, merge_version: version });

/** A merged table's state (JSON) as a row of `<table>__state`. */
export const stateRow = (key: string, state: string, version: number): Row => ({ merge_key: key, merge_state: state, merge_version: version, run_date: utcDay(version) });

/** The table resource of tables.insert (the REST shape; the client passes it through). */
export function tableResource(table: TableSpec): Record<string, unknown> {
  return {
    description: table.description,
    schema: { fields: bigQuerySchema(table) },
    timePartitioning: { type: "DAY", field: table.partitionField },
    clustering: { fields: [...table.clustering] },
  };
}

const quoted = (project: string, dataset: string, table: string): string => `\`${project}.${dataset}.${table}\``;

/** Keeps the latest version of each key (of a versions or state log). */
const LATEST_PER_KEY = "WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY merge_key ORDER BY merge_version DESC) = 1";

/** The latest version of each key, with the table's own columns only. */
export function latestViewSql(project: string, dataset: string, table: TableSpec): string {
  const columns = table.fields.map((f) => f.name).join(", ");
  return (
    `SELECT ${columns} FROM ${quoted(project, dataset, versionsTableName(table))} ${LATEST_PER_KEY}`
  );
}

export function viewResource(project: string, dataset: string, table: TableSpec): Record<string, unknown> {
  return { description: table.description, view: { query: latestViewSql(project, dataset, table), useLegacySql: false } };
}

/** The statement that reads a merged table's stored states back: the latest of each key. */
export function statesQuery(project: string, dataset: string, table: TableSpec): string {
  return `SELECT merge_key, merge_state FROM ${quoted(project, dataset, stateTableName(table))} ${LATEST_PER_KEY}`;
}

/** BigQuery reports legacy type names and may omit NULLABLE: compare on one spelling. */
const TYPE_ALIASES: Record<string, string> = { INTEGER: "INT64", FLOAT: "FLOAT64", BOOLEAN: "BOOL", STRUCT: "RECORD" };

function describeFields(fields: readonly BigQueryField[] | undefined): string {
  return (fields ?? [])
    .map((f) => {
      const nested = f.fields ? `<${describeFields(f.fields)}>` : "";
      return `${f.name} ${TYPE_ALIASES[f.type] ?? f.type}${nested} ${f.mode ?? "NULLABLE"}`;
    })
    .join(", ");
}

/** A difference between an existing table's schema and the spec's, as a message; undefined if they agree. */
export function schemaMismatch(table: TableSpec, found: readonly BigQueryField[] | undefined): string | undefined {
  const expected = describeFields(bigQuerySchema(table));
  const actual = describeFields(found);
  return expected === actual ? undefined : `has columns (${actual}), expected (${expected})`;
}
