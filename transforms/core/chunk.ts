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
  /** Per message, where its data stops being valid UTF-8 (its payload has U+FFFD there); absent when every message is valid. */
  readonly undecodable?: readonly (string | undefined)[];
  readonly receivedAt: number;
  /** Epoch microseconds when the chunk's oldest message was published (for the publish-to-commit latency), when the broker says. */
  readonly publishedAt?: number;
}

export type RawChunk = LineChunk | MessageChunk;

/** The acknowledgement handles of a chunk (none for files). */
export function ackIdsOf(chunk: RawChunk): readonly string[] {
  return chunk.kind === "messages" ? chunk.ackIds : [];
}

const NO_BYTES = new Uint8Array(0);

/**
 * The chunk without its records: what a commit still needs of input that
 * will not run again (its units, acknowledgement handles, message count and
 * publish time), so an executed bundle waiting for its commit does not hold
 * its input's bytes.
 */
export function withoutRecords(chunk: RawChunk): RawChunk {
  return chunk.kind === "lines" ? { ...chunk, data: NO_BYTES } : { ...chunk, payloads: [], undecodable: undefined };
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
  /** Indexes of the payloads whose bytes are not valid UTF-8 (their text has U+FFFD in their place), with where. */
  readonly undecodable?: ReadonlyMap<number, string>;
}

/** Whether `bytes` is valid UTF-8, or (with `prefix`) the start of valid UTF-8 cut anywhere. */
function isUtf8(bytes: Uint8Array, prefix: boolean): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: prefix });
    return true;
  } catch {
    return false;
  }
}

/** Where the first byte of `line` (a line, or a message's data) that is not valid UTF-8 is, for a dead letter's reason, or undefined when it is valid. */
export function invalidUtf8At(line: Uint8Array, what: "line" | "message"): string | undefined {
  if (isUtf8(line, false)) return undefined;
  // The longest prefix that starts valid UTF-8 ends at the first bad byte (a binary search: being such a prefix is monotone).
  let low = 0;
  let high = line.length;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (isUtf8(line.subarray(0, middle), true)) low = middle;
    else high = middle - 1;
  }
  // Past that prefix's complete characters: an unfinished sequence at its end is where the fault starts.
  let at = Math.min(low, line.length - 1);
  if (!isUtf8(line.subarray(0, low), false)) while (at > 0 && (line[at] & 0xc0) !== 0xc0) at--;
  return `byte ${at} of the ${what} (0x${line[at].toString(16).padStart(2, "0")})`;
}

function lineRecords(chunk: LineChunk): ChunkRecords {
  let text = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength).toString("utf8");
  // A byte-order mark at the start of a file is not part of its first record.
  const bom = chunk.firstLine === 1 && text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  // Invalid bytes decode to U+FFFD: only lines that have one are checked byte by byte (a newline byte is never part of a UTF-8 sequence, so lines match).
  const lossy = text.includes("\ufffd");
  const undecodable = new Map<number, string>();
  const payloads: string[] = [];
  const positions: number[] = [];
  let blank = 0;
  let lineStart = bom ? 3 : 0;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    const lineEnd = lossy ? indexOrEnd(chunk.data, lineStart) : 0;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "") {
      blank++;
    } else {
      const invalidAt = lossy && line.includes("\ufffd") ? invalidUtf8At(chunk.data.subarray(lineStart, lineEnd), "line") : undefined;
      if (invalidAt !== undefined) undecodable.set(payloads.length, invalidAt);
      payloads.push(line);
      positions.push(chunk.firstLine + i);
    }
    lineStart = lineEnd + 1;
  }
  return { source: chunk.source, payloads, positions, separator: ":", blank, undecodable };
}

/** Where the line starting at `from` ends: its newline byte, or the end of the data. */
function indexOrEnd(data: Uint8Array, from: number): number {
  const at = data.indexOf(10, from);
  return at === -1 ? data.length : at;
}

export function recordsOf(chunk: RawChunk): ChunkRecords {
  if (chunk.kind === "lines") return lineRecords(chunk);
  const undecodable = new Map<number, string>();
  const faults = chunk.undecodable ?? [];
  for (let i = 0; i < faults.length; i++) {
    const at = faults[i];
    if (at !== undefined) undecodable.set(i, at);
  }
  return { source: chunk.source, payloads: chunk.payloads, positions: chunk.ids, separator: "#", blank: 0, undecodable };
}

/** Where record `index` came from, for dead letters: `file:line` or `subscription#messageId`. */
export function originOf(records: ChunkRecords, index: number): string {
  return `${records.source}${records.separator}${records.positions[index]}`;
}

registerModule("transforms/core/chunk", module.exports);
