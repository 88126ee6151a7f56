import { registerModule } from "./registry";
import { FieldSpec, Row, Value } from "../../schemas/table";
import { parseTimestamp } from "../../schemas/timestamp";

/** Why a record was rejected: a stable code for grouping and a sentence for people. */
export interface Rejection {
  readonly rejected: true;
  readonly code: string;
  readonly reason: string;
  /** The field whose integer JSON could not hold exactly: the reason's rounded value is replaced by the record's own text (deadLetterOf). */
  readonly inexactInteger?: string;
}

export function reject(code: string, reason: string): Rejection {
  return { rejected: true, code, reason };
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === "object" && value !== null && (value as Rejection).rejected === true;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function readField(field: FieldSpec, value: unknown): Value | Rejection {
  if (value === undefined || value === null) {
    return field.mode === "REQUIRED" ? reject("missing_field", `${field.name} is required`) : null;
  }
  switch (field.type) {
    case "INT64":
    case "FLOAT64": {
      const integer = field.type === "INT64";
      if (integer && Number.isInteger(value) && !Number.isSafeInteger(value)) {
        const tooLarge = reject("wrong_type", `${field.name} must be an integer within ±${Number.MAX_SAFE_INTEGER} (larger ones lose digits), got ${value}`);
        return { ...tooLarge, inexactInteger: field.name };
      }
      if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isSafeInteger(value))) {
        return reject("wrong_type", `${field.name} must be ${integer ? "an integer" : "a finite number"}, got ${show(value)}`);
      }
      if ((field.min !== undefined && value < field.min) || (field.max !== undefined && value > field.max)) {
        const range = field.max === undefined ? `>= ${field.min}` : field.min === undefined ? `<= ${field.max}` : `${field.min}..${field.max}`;
        return reject("out_of_range", `${field.name} must be ${range}, got ${value}`);
      }
      return value;
    }
    case "STRING":
    case "UUID":
      if (typeof value !== "string") return reject("wrong_type", `${field.name} must be a string, got ${show(value)}`);
      if (field.allowed !== undefined && !field.allowed.includes(value)) {
        return reject("not_allowed", `${field.name} must be one of ${field.allowed.join("|")}, got ${show(value)}`);
      }
      return value;
    case "BOOL":
      if (typeof value !== "boolean") return reject("wrong_type", `${field.name} must be true or false, got ${show(value)}`);
      return value;
    case "TIMESTAMP": {
      const micros = typeof value === "string" ? parseTimestamp(value) : null;
      if (micros === null) {
        return reject("bad_timestamp", `${field.name} must be 'YYYY-MM-DD HH:MM:SS' (UTC) or ISO-8601, got ${show(value)}`);
      }
      return micros;
    }
    case "DATE":
      return reject("wrong_type", `${field.name}: DATE fields are derived, not read`);
    case "RECORD": {
      const nested = normalizeRow(value, field.fields!);
      if (!isRejection(nested)) return nested;
      return { ...nested, reason: `${field.name}: ${nested.reason}` };
    }
  }
}

/**
 * Checks a parsed JSON value against `fields` and normalizes it in place
 * (timestamps become epoch microseconds, absent NULLABLE fields null), or says
 * what is wrong with the first field at fault. In place because it runs once
 * per record: a copy per record is the allocation that dominates GC. Unknown
 * keys stay on the object; sinks and `project` only ever read `fields`.
 */
export function normalizeRow(value: unknown, fields: readonly FieldSpec[]): Row | Rejection {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return reject("not_object", `expected a JSON object, got ${Array.isArray(value) ? "an array" : show(value)}`);
  }
  const row = value as Row;
  for (const field of fields) {
    const read = readField(field, row[field.name]);
    if (isRejection(read)) return read;
    row[field.name] = read;
  }
  return row;
}

/** A new row holding exactly `fields` of `row`, in their order. */
export function project(row: Row, fields: readonly FieldSpec[]): Row {
  const out: Row = {};
  for (const field of fields) out[field.name] = row[field.name];
  return out;
}

registerModule("transforms/core/validate", module.exports);
