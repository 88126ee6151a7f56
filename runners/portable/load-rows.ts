import * as beam from "apache-beam";
import Long from "long";
import { lineChunk, nowMicros } from "../../io/sources/source";
import { toJsonRow } from "../../schemas/json";
import { Row, TableSpec } from "../../schemas/table";
import { DeadLetter } from "../../schemas/dead-letter";
import { LineChunk } from "../../transforms/core/chunk";
import { registerModule } from "../../transforms/core/registry";
import { FileCounts, fileOfOrigin, ingestionLogRow, SnapshotFileInfo } from "../../transforms/catalog/ingestion-log";

/**
 * The DoFns of a batch job whose tables BigQuery load jobs write from inside
 * the job (the catalog on Dataflow, runners/portable/load-job.ts): chunks in
 * from Python's file read, each table's rows out as `table<TAB>JSON` lines for
 * Python's load step, one row per key (the first in the file wins, as on the
 * direct runner), and the ingestion log's rows from the counts. Registered
 * for serialization, so workers require this module.
 */

interface ChunkHeader {
  path: string;
  offset: number;
  firstLine: number;
}

/** One element of Python's file read (runners/portable/python/line_chunks.py): its JSON header line, then the chunk's bytes. */
export function chunkOfRead(element: Uint8Array): LineChunk {
  const newline = element.indexOf(10);
  const header = JSON.parse(Buffer.from(element.buffer, element.byteOffset, newline).toString("utf8")) as ChunkHeader;
  return lineChunk(header.path, header.offset, header.firstLine, element.subarray(newline + 1), false);
}

/**
 * A chunk's timestamp: its first line's number. Rows keep their chunk's
 * timestamp through the pipeline's maps, so after grouping by key the row of
 * the earliest line is known. No window reads it: the job is in the global
 * window and the catalog has no event time.
 */
export const lineTimestamp = (chunk: LineChunk): Long => Long.fromNumber(chunk.firstLine);

/** A row on its way to the key's first: where it came from (its chunk's first line, its place in the chunk) and its BigQuery JSON. */
export interface PlacedRow {
  line: number;
  index: number;
  json: string;
}

/** DoFn (flatMap): a batch of a table's rows -> each keyed by the table's key, placed. */
export function* keyedRows(batch: readonly Row[], context: { table: TableSpec; timestamp: { lookup(): Long } }): Generator<beam.KV<string, PlacedRow>> {
  const spec = context.table;
  const line = Number(context.timestamp.lookup());
  for (let i = 0; i < batch.length; i++) {
    const row = batch[i];
    const key = JSON.stringify(spec.key.map((column) => row[column] ?? null));
    yield { key, value: { line, index: i, json: JSON.stringify(toJsonRow(spec, row)) } };
  }
}

/** After grouping by key: the row of the key's earliest line, as `table<TAB>JSON`. */
export function firstOfKey(grouped: beam.KV<string, Iterable<PlacedRow>>, context: { table: string }): string {
  let first: PlacedRow | undefined;
  for (const placed of grouped.value) if (first === undefined || placed.line < first.line || (placed.line === first.line && placed.index < first.index)) first = placed;
  return `${context.table}\t${first!.json}`;
}

/** What the ingestion log counts, summed per `tally`: `read<TAB>table`, `stored<TAB>table`, `dead<TAB>file`. */
export interface Tally {
  tally: string;
  n: number;
}

/** DoFn (map): a batch of a table's rows -> the lines read for it. */
export const readTally = (batch: readonly Row[], context: { table: string }): Tally => ({ tally: `read\t${context.table}`, n: batch.length });

/** DoFn (flatMap): a batch of dead letters -> per file, the lines it sent there. */
export function* deadTallies(batch: readonly Row[]): Generator<Tally> {
  const byFile = new Map<string, number>();
  for (const row of batch as readonly DeadLetter[]) {
    const file = fileOfOrigin(row.source);
    byFile.set(file, (byFile.get(file) ?? 0) + 1);
  }
  for (const entry of byFile) yield { tally: `dead\t${entry[0]}`, n: entry[1] };
}

/** DoFn (map): a stored row (`table<TAB>JSON`) -> one row stored in its table. */
export const storedTally = (line: string): Tally => ({ tally: `stored\t${line.slice(0, line.indexOf("\t"))}`, n: 1 });

/** DoFn (flatMap): every tally of the job, summed -> the ingestion log's rows as `log<TAB>JSON`, one per file, changed or not. */
export function* logLines(tallies: Iterable<Tally>, context: { log: TableSpec; files: readonly SnapshotFileInfo[]; startedAt: number }): Generator<string> {
  const totals = new Map<string, number>();
  for (const t of tallies) totals.set(t.tally, (totals.get(t.tally) ?? 0) + t.n);
  const finishedAt = nowMicros();
  for (const file of context.files) {
    const dead = totals.get(`dead\t${file.path}`) ?? 0;
    const counts: FileCounts = { read: (totals.get(`read\t${file.table}`) ?? 0) + dead, stored: totals.get(`stored\t${file.table}`) ?? 0, dead };
    yield `${context.log.name}\t${JSON.stringify(toJsonRow(context.log, ingestionLogRow(file, counts, context.startedAt, finishedAt)))}`;
  }
}

registerModule("runners/portable/load-rows", module.exports);
