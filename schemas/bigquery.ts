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
