import { FieldType, TableSpec } from "./table";

/** A field of a BigQuery JSON schema file, as `bq mk --schema` and Terraform's `schema` read it. */
export interface BigQueryField {
  name: string;
  type: string;
  mode: string;
  description: string;
}

const BIGQUERY_TYPES: Record<FieldType, string> = {
  INT64: "INT64",
  FLOAT64: "FLOAT64",
  STRING: "STRING",
  BOOL: "BOOL",
  TIMESTAMP: "TIMESTAMP",
  DATE: "DATE",
  UUID: "STRING",
};

export function bigQuerySchema(table: TableSpec): BigQueryField[] {
  return table.fields.map((f) => ({ name: f.name, type: BIGQUERY_TYPES[f.type], mode: f.mode, description: f.description }));
}

/** The file's text: what `npm run schemas` writes and the staleness test compares. */
export function bigQuerySchemaFile(table: TableSpec): string {
  return `${JSON.stringify(bigQuerySchema(table), null, 2)}\n`;
}
