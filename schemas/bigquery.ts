import { FieldSpec, FieldType, TableSpec } from "./table";

/** A field of a BigQuery JSON schema file, as `bq mk --schema` and Terraform's `schema` read it. */
export interface BigQueryField {
  name: string;
  type: string;
  mode: string;
  description: string;
  /** RECORD only. */
  fields?: BigQueryField[];
}

const BIGQUERY_TYPES: Record<FieldType, string> = {
  INT64: "INT64",
  FLOAT64: "FLOAT64",
  STRING: "STRING",
  BOOL: "BOOL",
  TIMESTAMP: "TIMESTAMP",
  DATE: "DATE",
  UUID: "STRING",
  RECORD: "RECORD",
};

function bigQueryFields(fields: readonly FieldSpec[]): BigQueryField[] {
  return fields.map((f) => {
    const field: BigQueryField = { name: f.name, type: BIGQUERY_TYPES[f.type], mode: f.mode, description: f.description };
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
 * One table of the manifest Terraform reads (schemas/bigquery/tables.json):
 * what a BigQuery table needs beyond its columns, so Terraform declares every
 * table of the schema source without a hand-written list.
 */
export interface BigQueryTableEntry {
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

/** The manifest's file name, beside the schema files. */
export const BIGQUERY_MANIFEST_FILE = "tables.json";

export const bigQuerySchemaFileName = (table: TableSpec): string => `${table.name}.json`;

export function bigQueryManifest(tables: readonly TableSpec[]): BigQueryTableEntry[] {
  return tables.map((t) => ({
    name: t.name,
    description: t.description,
    partitionField: t.partitionField,
    clustering: [...t.clustering],
    primaryKey: [...t.key],
    schemaFile: bigQuerySchemaFileName(t),
  }));
}

/** The manifest's text: what `npm run schemas` writes and the staleness test compares. */
export function bigQueryManifestFile(tables: readonly TableSpec[]): string {
  return `${JSON.stringify(bigQueryManifest(tables), null, 2)}\n`;
}
