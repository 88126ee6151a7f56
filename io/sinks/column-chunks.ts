import duckdb from "@duckdb/node-bindings";
import { BIGINT, BOOLEAN, DATE, DOUBLE, DuckDBAppender, DuckDBDataChunk, DuckDBType, STRUCT, TIMESTAMP, VARCHAR } from "@duckdb/node-api";
import { FieldSpec, Row, Value } from "../../schemas/table";

/** A column: its field (for its type; a RECORD is a STRUCT of its fields) and how to read its value from a row. */
export interface ChunkColumn {
  readonly field: FieldSpec;
  value(row: Row): Value;
}

/** A table's own columns, to append to the table itself: its fields, records as STRUCTs. Lists (REPEATED) are not written here. */
export function tableColumns(fields: readonly FieldSpec[]): ChunkColumn[] {
  return fields.map((field) => ({ field, value: (row: Row) => row[field.name] ?? null }));
}

/** Whether `tableColumns` can write these fields (no REPEATED field, at any depth). */
export function writableAsChunks(fields: readonly FieldSpec[]): boolean {
  return fields.every((f) => f.mode !== "REPEATED" && (f.type !== "RECORD" || writableAsChunks(f.fields!)));
}

const TWO_32 = 2 ** 32;
/** DuckDB's `string_t` (duckdb.h `duckdb_string_t`): 16 bytes, a length and, up to 12 bytes, the text inline. */
const STRING_BYTES = 16;
const INLINE_BYTES = 12;

function chunkType(field: FieldSpec): DuckDBType {
  switch (field.type) {
    case "INT64":
      return BIGINT;
    case "FLOAT64":
      return DOUBLE;
    case "BOOL":
      return BOOLEAN;
    case "TIMESTAMP":
      return TIMESTAMP;
    case "DATE":
      return DATE;
    case "STRING":
    case "UUID": // the appender casts the text to the staging table's UUID
      return VARCHAR;
    case "RECORD":
      return STRUCT(Object.fromEntries(field.fields!.map((f) => [f.name, chunkType(f)])));
  }
}

/** An int64 (BIGINT, TIMESTAMP micros) written as two 32-bit halves, little endian: no BigInt per value. */
function setInt64(halves: Int32Array, index: number, value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new Error(`${name}: ${value} is not an integer`);
  const high = Math.floor(value / TWO_32);
  halves[2 * index] = value - high * TWO_32;
  halves[2 * index + 1] = high;
}

/** Writes an ASCII text of at most 12 characters inline; says false for any other (DuckDB must copy it). */
function setInlineString(bytes: Uint8Array, index: number, text: string): boolean {
  const length = text.length;
  if (length > INLINE_BYTES) return false;
  const at = index * STRING_BYTES;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return false;
    bytes[at + 4 + i] = code;
  }
  bytes[at] = length; // little-endian uint32 length, at most 12
  return true;
}

/**
 * Writes rows into DuckDB data chunks a column at a time and hands each
 * chunk to an appender: numbers, dates, booleans and short ASCII texts go
 * into typed arrays copied once per column, so only a longer text costs a
 * call into DuckDB, where the row-wise appender cost one call per value and
 * a conversion at its flush (a sixth of the OTT pipeline's main thread).
 */
export class ColumnChunks {
  private readonly types: DuckDBType[];
  private readonly size = duckdb.vector_size();

  constructor(private readonly columns: readonly ChunkColumn[]) {
    this.types = columns.map((c) => chunkType(c.field));
  }

  append(appender: DuckDBAppender, rows: readonly Row[]): void {
    // Plain loops: the build's closure transform mistakes a loop variable captured by an arrow function.
    for (let start = 0; start < rows.length; start += this.size) {
      const count = Math.min(this.size, rows.length - start);
      const chunk = DuckDBDataChunk.create(this.types, count);
      for (let c = 0; c < this.columns.length; c++) {
        const column = this.columns[c];
        const values: Value[] = new Array(count);
        for (let i = 0; i < count; i++) values[i] = column.value(rows[start + i]);
        fill(duckdb.data_chunk_get_vector(chunk.chunk, c), column.field, values);
      }
      appender.appendDataChunk(chunk);
    }
  }
}

/** Writes one column's values (a chunk's worth) into its vector; a record's fields into the STRUCT's child vectors. */
function fill(vector: duckdb.Vector, field: FieldSpec, values: readonly Value[]): void {
  const count = values.length;
  const type = field.type;
  const validity = new Uint8Array(Math.ceil(count / 64) * 8).fill(0xff);
  let nulls = false;
  let long: [number, string][] | undefined;
  const bytes = type === "STRING" || type === "UUID" ? new Uint8Array(count * STRING_BYTES) : undefined;
  const doubles = type === "FLOAT64" ? new Float64Array(count) : undefined;
  const booleans = type === "BOOL" ? new Uint8Array(count) : undefined;
  const days = type === "DATE" ? new Int32Array(count) : undefined;
  const wide = type === "INT64" || type === "TIMESTAMP" ? new Int32Array(2 * count) : undefined;
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      validity[i >> 3] &= ~(1 << (i & 7));
      nulls = true;
    } else if (bytes !== undefined) {
      if (typeof value !== "string" || !setInlineString(bytes, i, value)) (long ??= []).push([i, value as string]); // DuckDB refuses what is not text, as the appender did
    } else if (doubles !== undefined) doubles[i] = value as number;
    else if (booleans !== undefined) booleans[i] = value ? 1 : 0;
    else if (days !== undefined) days[i] = value as number;
    else if (wide !== undefined) setInt64(wide, i, value as number, field.name);
  }
  if (type === "RECORD") {
    const members = field.fields!;
    for (let m = 0; m < members.length; m++) {
      const name = members[m].name;
      const memberValues: Value[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const record = values[i] as Row | null | undefined;
        memberValues[i] = record === null || record === undefined ? null : record[name] ?? null;
      }
      fill(duckdb.struct_vector_get_child(vector, m), members[m], memberValues);
    }
  } else {
    const data: ArrayBufferView = bytes ?? doubles ?? booleans ?? days ?? wide!;
    duckdb.copy_data_to_vector(vector, 0, data.buffer, data.byteOffset, data.byteLength);
    if (long !== undefined) for (const [i, text] of long) duckdb.vector_assign_string_element(vector, i, text);
  }
  if (nulls) {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, validity.byteLength);
  }
}
