import { FieldSpec, TableSpec } from "./table";

/** A field of a BigQuery JSON schema file, as `bq mk --schema` and Terraform's `schema` read it. */
export interface BigQueryField {
  name: string;
  type: string;
  mode: string;
  description: string;
  /** RECORD only. */
  fields?: BigQueryField[];
}


/** Field types are spelled as BigQuery spells them, but for UUID, a STRING there. */
function bigQueryFields(fields: readonly FieldSpec[]): BigQueryField[] {
  return fields.map((f) => {
    const field: BigQueryField = { name: f.name, type: f.type === "UUID" ? "STRING" : f.type, mode: f.mode, description: f.description };
    if (f.fields) field.fields = bigQueryFields(f.fields);
    return field;
  });
}

export function bigQuerySchema(table: TableSpec): BigQueryField[] {
  return bigQueryFields(table.fields);
}

/** The file's text: what `npm run schemas` writes and the staleness test compares. */
export function bigQuerySchemaFile(table: TableSpec): string {
  return `${JSON.stringify(bigQuerySchema(table), null, 2)}\n`;
}

/**
 * Where a view's query in the manifest names its project and dataset: the
 * manifest does not know where it is deployed, so Terraform replaces these
 * (terraform/schemas.tf: `replace(v.query, "{project}", var.project)`, then
 * `{dataset}` with var.dataset). Plain text, not a template syntax: the
 * queries contain no other braces.
 */
export const VIEW_PLACEHOLDERS = { project: "{project}", dataset: "{dataset}" } as const;

/**
 * What BigQuery holds for the schema source, as the BigQuery sink creates it
 * (io/bigquery/tables.ts): a table, or a view showing the columns of `table`
 * through `query` (with VIEW_PLACEHOLDERS for the project and dataset).
 */
export type BigQueryObject = { kind: "table"; table: TableSpec } | { kind: "view"; table: TableSpec; query: string };

/**
 * One table of the manifest Terraform reads (schemas/bigquery/tables.json):
 * what a BigQuery table needs beyond its columns, so Terraform declares every
 * table of the schema source without a hand-written list.
 */
interface BigQueryTableEntry {
  kind: "table";
  name: string;
  description: string;
  /** DATE column of the DAY partitioning. */
  partitionField: string;
  clustering: string[];
  /** The sink's key: BigQuery's (unenforced) primary key, a hint for its optimizer. */
  primaryKey: string[];
  /** The schema file, beside the manifest. */
  schemaFile: string;
}

/** One view of the manifest: a merged table, which the sink reads and writes through tables of its own. */
export interface BigQueryViewEntry {
  kind: "view";
  name: string;
  description: string;
  /** Standard SQL, with VIEW_PLACEHOLDERS where the project and dataset go. */
  query: string;
  /** The view's columns, for `bq` and readers; Terraform lets BigQuery infer them from the query. */
  schemaFile: string;
}

export type BigQueryManifestEntry = BigQueryTableEntry | BigQueryViewEntry;

/** The manifest's file name, beside the schema files. */
export const BIGQUERY_MANIFEST_FILE = "tables.json";

export const bigQuerySchemaFileName = (table: TableSpec): string => `${table.name}.json`;

export function bigQueryManifest(objects: readonly BigQueryObject[]): BigQueryManifestEntry[] {
  return objects.map((o): BigQueryManifestEntry => {
    const t = o.table;
    const common = { name: t.name, description: t.description };
    if (o.kind === "view") return { kind: "view", ...common, query: o.query, schemaFile: bigQuerySchemaFileName(t) };
    return { kind: "table", ...common, partitionField: t.partitionField, clustering: [...t.clustering], primaryKey: [...t.key], schemaFile: bigQuerySchemaFileName(t) };
  });
}

/** The manifest's text: what `npm run schemas` writes and the staleness test compares. */
export function bigQueryManifestFile(objects: readonly BigQueryObject[]): string {
  return `${JSON.stringify(bigQueryManifest(objects), null, 2)}\n`;
}
