import { registerModule } from "./registry";

/**
 * The unit a pipeline's transforms work on: a chunk of raw records. Sources cut
 * their input into chunks (lines of a file, a Pub/Sub micro-batch) so Beam's
 * per-element cost is paid once per chunk, not once per record.
 */

/** Newline-delimited records read from a file, starting at line `firstLine` (1-based). */
export interface LineChunk {
  readonly kind: "lines";
  readonly source: string;
  /** The chunk's identity for the sink's ledger: where it starts and a hash of its bytes (see io/sources/source.ts). */
  readonly unit: string;
  readonly firstLine: number;
  readonly data: Uint8Array;
  /** Epoch microseconds when the chunk was read. */
  readonly receivedAt: number;
}

/** One record per message, each with the id its broker gave it (Pub/Sub messageId). */
export interface MessageChunk {
  readonly kind: "messages";
  readonly source: string;
  readonly ids: readonly string[];
  /** What the source needs to acknowledge the messages once their results are durable. */
  readonly ackIds: readonly string[];
  readonly payloads: readonly string[];
  readonly receivedAt: number;
}

export type RawChunk = LineChunk | MessageChunk;

/** The acknowledgement handles of a chunk (none for files). */
export function ackIdsOf(chunk: RawChunk): readonly string[] {
  return chunk.kind === "messages" ? chunk.ackIds : [];
}

/** The input units of a chunk, as the sink's ledger records them: the chunk, or each message. */
export function unitsOf(chunk: RawChunk): readonly string[] {
  return chunk.kind === "messages" ? chunk.ids : [chunk.unit];
}

/**
 * The records of a chunk, blank lines counted and skipped. Plain data, no
 * closures: helpers reached from a DoFn are re-evaluated by Beam's closure
 * serializer, which loses the temporaries of nested functions.
 */
export interface ChunkRecords {
  readonly source: string;
  readonly payloads: readonly string[];
  /** Per payload: its line number, or its message id. */
  readonly positions: readonly (number | string)[];
  readonly separator: ":" | "#";
  readonly blank: number;
}

function lineRecords(chunk: LineChunk): ChunkRecords {
  const text = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength).toString("utf8");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const payloads: string[] = [];
  const positions: number[] = [];
  let blank = 0;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "") {
      blank++;
    } else {
      payloads.push(line);
      positions.push(chunk.firstLine + i);
    }
  }
  return { source: chunk.source, payloads, positions, separator: ":", blank };
}

export function recordsOf(chunk: RawChunk): ChunkRecords {
  if (chunk.kind === "lines") return lineRecords(chunk);
  return { source: chunk.source, payloads: chunk.payloads, positions: chunk.ids, separator: "#", blank: 0 };
}

/** Where record `index` came from, for dead letters: `file:line` or `subscription#messageId`. */
export function originOf(records: ChunkRecords, index: number): string {
  return `${records.source}${records.separator}${records.positions[index]}`;
}

registerModule("transforms/core/chunk", module.exports);
