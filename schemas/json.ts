import { FieldSpec, Row, TableSpec } from "./table";
import { formatDate, formatTimestamp } from "./timestamp";

/**
 * A row as JSON text-friendly values: TIMESTAMP as RFC 3339 UTC, DATE as
 * YYYY-MM-DD. This is also the JSON form BigQuery's insertAll accepts.
 */
export function toJsonRow(table: TableSpec, row: Row): Row {
  return jsonFields(table.fields, row);
}

/** `fields` of `row` as JSON-friendly values. */
function jsonFields(fields: readonly FieldSpec[], row: Row): Row {
  const out: Row = {};
  for (const field of fields) {
    const value = row[field.name];
    if (value === null || value === undefined) out[field.name] = null;
    else if (field.type === "TIMESTAMP") out[field.name] = formatTimestamp(value as number);
    else if (field.type === "DATE") out[field.name] = formatDate(value as number);
    else if (field.type === "RECORD") out[field.name] = jsonFields(field.fields!, value as Row);
    else out[field.name] = value;
  }
  return out;
}

/** The key of a row as one string, for deduplication outside a database. */
export function rowKey(table: TableSpec, row: Row): string {
  return table.key.map((k) => String(row[k])).join("\u0001");
}
