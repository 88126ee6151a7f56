import * as beam from "apache-beam";
import { AtomicType, FieldType as BeamFieldType, Schema } from "apache-beam/proto/schema";
import { stateRow, stateTable, versionRow, versionsTable } from "../../io/bigquery/tables";
import { nowMicros } from "../../io/sources/source";
import { PIPELINES } from "../../pipelines/registry";
import { rowKey } from "../../schemas/json";
import { FieldSpec, FieldType, Row, TableSpec } from "../../schemas/table";
import { MessageChunk } from "../../transforms/core/chunk";
import { contentId } from "../../transforms/core/ids";
import { protos } from "@google-cloud/pubsub";
import { registerModule } from "../../transforms/core/registry";
import { CatalogTitle } from "../../transforms/catalog/titles";
import { StandardRowCoder } from "./row-coder";

/**
 * The edges of the graph on portable runners, as DoFns: Pub/Sub message data
 * in, rows coded with Beam's row coder out, for the cross-language BigQuery
 * write. Registered for serialization, so workers require this module.
 */

/**
 * One Pub/Sub message (the PubsubMessage proto Beam Java's read emits with
 * attributes) as the chunk the pipeline reads, with its message id: the id
 * the direct runner gives it too, stable across redeliveries, so dead-letter
 * ids match. Beam 2.49's Java read does not fill in the publish time: the
 * element's timestamp is the publish time when no timestamp attribute is
 * set.
 */
export function messageChunk(encoded: Uint8Array, context: { source: string }): MessageChunk {
  const message = protos.google.pubsub.v1.PubsubMessage.decode(encoded);
  const data = message.data as Uint8Array;
  const payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  return { kind: "messages", source: context.source, ids: [message.messageId], ackIds: [], payloads: [payload], receivedAt: nowMicros() };
}

/**
 * The Beam schema type of each column type. BigQueryIO (useBeamSchema, the
 * Storage Write API) turns each Beam type into the proto field type BigQuery
 * receives, and BigQuery accepts only some proto types per column type
 * (docs/runners.md#bigquery-column-types): FLOAT64 from a double, TIMESTAMP
 * from int64 epoch microseconds, DATE from int64 days, as the rows hold them.
 * Text would be refused for all three.
 */
const BEAM_TYPES: Record<Exclude<FieldType, "RECORD">, AtomicType> = {
  INT64: AtomicType.INT64,
  FLOAT64: AtomicType.DOUBLE,
  STRING: AtomicType.STRING,
  BOOL: AtomicType.BOOLEAN,
  TIMESTAMP: AtomicType.INT64,
  DATE: AtomicType.INT64,
  UUID: AtomicType.STRING,
};

function beamFieldType(field: FieldSpec): BeamFieldType {
  const nullable = field.mode !== "REQUIRED";
  if (field.type === "RECORD") return { nullable, typeInfo: { oneofKind: "rowType", rowType: { schema: beamSchemaOf(field.fields!, field.name) } } };
  return { nullable, typeInfo: { oneofKind: "atomicType", atomicType: BEAM_TYPES[field.type] } };
}

function beamSchemaOf(fields: readonly FieldSpec[], name: string): Schema {
  return {
    // A stable id (the SDK's inference draws a random one), so the same table always yields the same graph.
    id: contentId(`${name}\n${fields.map((f) => `${f.name}:${f.type}:${f.mode}`).join(",")}`),
    fields: fields.map((f, i) => ({ name: f.name, description: f.description, type: beamFieldType(f), id: i, encodingPosition: i, options: [] })),
    options: [],
    encodingPositionsSet: false,
  };
}

/** The Beam schema of a table's rows, as the row coder and the BigQuery write see them. */
export const beamSchema = (table: TableSpec): Schema => beamSchemaOf(table.fields, table.name);

/** The coder of a table's rows for the BigQuery write: Beam's row coder of `beamSchema(table)`. */
export const tableRowCoder = (table: TableSpec): StandardRowCoder => new StandardRowCoder(beamSchema(table));

/** `fields` of `row`, nested records too: the values as the rows hold them (micros, days, numbers), absent ones null. */
function beamFields(fields: readonly FieldSpec[], row: Row): Row {
  const out: Row = {};
  for (const field of fields) {
    const value = row[field.name];
    if (value === null || value === undefined) out[field.name] = null;
    else out[field.name] = field.type === "RECORD" ? beamFields(field.fields!, value as Row) : value;
  }
  return out;
}

/** A row as the row coder of `beamSchema(table)` encodes it. */
export const beamRow = (table: TableSpec, row: Row): Row => beamFields(table.fields, row);

/** A batch of a table's rows (one element per input chunk) as single rows for the write. */
export function tableRows(rows: Row[], context: { table: TableSpec }): Row[] {
  return rows.map((row) => beamRow(context.table, row));
}

/** Which path of a merged table a write feeds: the latest-row view's versions, or the state log. */
export type MergedPart = "versions" | "state";

/**
 * The tables a merged table's panes go to, as the BigQuery sink lays them out
 * (io/bigquery/tables.ts): `<table>__versions` rows (behind the view of the
 * latest version per key) and `<table>__state` entries.
 */
export const mergedTables = (table: TableSpec): Record<MergedPart, TableSpec> => ({ versions: versionsTable(table), state: stateTable(table) });

/**
 * A merged table's panes as rows of one of its paths. A pane is a CombineFn
 * state; on a portable runner no DoFn can read the stored state (no async
 * IO in a DoFn), so each pane is written as it is: its own row version and
 * its state. Exact when a key gets one pane (a window closed by the
 * watermark, the OTT views); see docs/runners.md for the global window.
 */
export function paneRows(panes: Row[], context: { pipeline: string; table: string; part: MergedPart }): Row[] {
  const definition = PIPELINES[context.pipeline];
  const spec = definition.tables.find((t) => t.name === context.table)!;
  const merge = definition.merges!.get(context.table)!;
  const target = mergedTables(spec)[context.part];
  const version = nowMicros();
  const out: Row[] = [];
  for (const pane of panes) {
    const key = rowKey(spec, pane);
    if (context.part === "state") {
      out.push(beamRow(target, stateRow(key, JSON.stringify(pane), version)));
      continue;
    }
    const row = merge.output(merge.merge([pane]));
    if (row !== null) out.push(beamRow(target, versionRow(row, key, version)));
  }
  return out;
}

/** A row of the catalog's BigQuery read (graph.ts): a Beam row, its fields by name. */
export interface CatalogRow {
  tconst: string;
  title: string | null;
  genre: string | null;
}

export function catalogTitleOfRow(row: CatalogRow): CatalogTitle {
  return { tconst: row.tconst, title: row.title ?? null, genre: row.genre ?? null };
}

const oneKey = (): string => "";
const valuesOf = <T>(kv: beam.KV<string, Iterable<T>>): Iterable<T> => kv.value;

/**
 * Every element of a collection as one iterable (in the global window): the
 * SDK's groupGlobally maps its pairs to `kv[1]`, undefined for the `{key,
 * value}` pairs its GroupBy emits (apache-beam 2.49), so it gives nothing.
 */
export const gatherAll =
  <T>(name: string) =>
  (input: beam.PCollection<T>): beam.PCollection<Iterable<T>> =>
    input.apply(beam.withName(`${name}/ByOneKey`, beam.groupBy(oneKey))).map(beam.withName(`${name}/Values`, valuesOf<T>));

registerModule("runners/portable/rows", module.exports);
