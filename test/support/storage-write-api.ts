import { AtomicType, FieldType, Schema } from "apache-beam/proto/schema";
import { BigQueryField } from "../../schemas/bigquery";

/**
 * What BigQuery's Storage Write API accepts, and what Beam's BigQueryIO sends
 * it, as data: the contract the portable runners' BigQuery writes are held to.
 *
 * Google, "Supported protocol buffer data types" (BigQuery Storage Write
 * API): the proto field types each BigQuery column type accepts.
 */
export const ACCEPTED_PROTO_TYPES: Record<string, readonly string[]> = {
  BOOL: ["bool", "int32", "int64", "uint32", "uint64"],
  BYTES: ["bytes", "string"],
  DATE: ["int32", "int64", "string"], // days since 1970-01-01
  DATETIME: ["string", "int64"],
  TIME: ["string", "int64"],
  FLOAT64: ["double", "float"],
  GEOGRAPHY: ["string"],
  INT64: ["int32", "int64", "uint32", "enum"],
  JSON: ["string"],
  NUMERIC: ["int32", "int64", "uint32", "uint64", "double", "float", "string", "bytes"],
  STRING: ["string", "enum"],
  TIMESTAMP: ["int64", "int32", "uint32"], // microseconds since the epoch
  RECORD: ["message"],
};

/**
 * The proto field type Beam 2.49's BigQueryIO writes for a Beam field type
 * with useBeamSchema() and the Storage Write API (what `schemaio_bigquery_write`
 * expands to): BeamRowToStorageApiProto.PRIMITIVE_TYPES / LOGICAL_TYPES give
 * the BigQuery type the descriptor is built from, TableRowToStorageApiProto
 * .PRIMITIVE_TYPES its proto type. The descriptor comes from the Beam schema,
 * never from the table: the table only decides whether BigQuery accepts it.
 */
const PROTO_TYPE_OF_ATOMIC: Record<string, string> = {
  BYTE: "int64",
  INT16: "int64",
  INT32: "int64",
  INT64: "int64",
  FLOAT: "double",
  DOUBLE: "double",
  STRING: "string",
  BOOLEAN: "bool",
  BYTES: "bytes",
};

/** Logical types by URN: Beam's SqlTypes.DATE, TIME, DATETIME, TIMESTAMP (micros_instant), and DATETIME's portable form. */
const PROTO_TYPE_OF_LOGICAL: Record<string, string> = {
  "beam:logical_type:date:v1": "int32",
  "beam:logical_type:time:v1": "int64",
  "beam:logical_type:datetime:v1": "int64",
  "beam:logical_type:micros_instant:v1": "int64",
  "beam:logical_type:millis_instant:v1": "int64",
};

/** The proto type BigQueryIO sends for a Beam field type; undefined where it refuses the type itself (maps, unknown logical types). */
export function protoTypeOf(type: FieldType): string | undefined {
  const info = type.typeInfo;
  if (info.oneofKind === "atomicType") return PROTO_TYPE_OF_ATOMIC[AtomicType[info.atomicType]];
  if (info.oneofKind === "rowType") return "message";
  if (info.oneofKind === "logicalType") return PROTO_TYPE_OF_LOGICAL[info.logicalType.urn];
  return undefined;
}

/**
 * Every column of a table (its BigQuery schema, as Terraform creates it) that
 * BigQuery would refuse for rows coded with `schema`, one line each: a type
 * it does not accept, a nullability that differs, a column missing or extra.
 * Nested records are followed.
 */
export function refusedColumns(columns: readonly BigQueryField[], schema: Schema, path = ""): string[] {
  const problems: string[] = [];
  const names = schema.fields.map((f) => f.name);
  if (names.join(",") !== columns.map((c) => c.name).join(",")) problems.push(`${path || "row"}: fields ${names.join(",")} but columns ${columns.map((c) => c.name).join(",")}`);
  for (const column of columns) {
    const field = schema.fields.find((f) => f.name === column.name);
    if (field === undefined || field.type === undefined) continue;
    const where = `${path}${column.name}`;
    const proto = protoTypeOf(field.type);
    if (proto === undefined || !ACCEPTED_PROTO_TYPES[column.type]?.includes(proto)) problems.push(`${where}: BigQuery ${column.type} does not accept proto ${proto ?? "(none)"}`);
    if (field.type.nullable !== (column.mode !== "REQUIRED")) problems.push(`${where}: ${column.mode} column but Beam field nullable=${field.type.nullable}`);
    const info = field.type.typeInfo;
    if (column.type === "RECORD" && info.oneofKind === "rowType") problems.push(...refusedColumns(column.fields ?? [], info.rowType.schema!, `${where}.`));
  }
  return problems;
}
