import { createReadStream } from "fs";
import { stat } from "fs/promises";
import { createGunzip } from "zlib";
import fg from "fast-glob";
import { LineChunk } from "../../transforms/core/chunk";
import { lineChunk, Source, SourceError } from "./source";

/** About this many bytes per chunk: large enough to amortize per-element cost, small enough to keep memory flat. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

function countNewlines(data: Uint8Array): number {
  let count = 0;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) count++;
  return count;
}

/** Cuts one file (gzip when it ends in `.gz`) into chunks of whole lines. */
async function* fileChunks(path: string, chunkBytes: number): AsyncGenerator<LineChunk> {
  const raw = createReadStream(path, { highWaterMark: chunkBytes });
  const stream = path.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let firstLine = 1;
  let offset = 0;
  const emit = (data: Buffer): LineChunk => {
    const chunk = lineChunk(path, offset, firstLine, data, true);
    firstLine += countNewlines(data);
    offset += data.length;
    return chunk;
  };
  for await (const piece of stream as AsyncIterable<Buffer>) {
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes < chunkBytes) continue;
    const data = Buffer.concat(pending, pendingBytes);
    const cut = data.lastIndexOf(10) + 1;
    if (cut === 0) continue; // one line longer than a chunk: keep reading
    // Copy the tail so each emitted chunk owns its whole buffer (it may be transferred to a worker).
    const rest = Buffer.from(data.subarray(cut));
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    yield emit(data.subarray(0, cut));
  }
  if (pendingBytes > 0) yield emit(Buffer.concat(pending, pendingBytes));
}

/** Expands `--input`: a file, or a glob of files, in sorted order. */
export async function resolveInputs(pattern: string): Promise<string[]> {
  if (!fg.isDynamicPattern(pattern)) {
    const info = await stat(pattern).catch(() => null);
    if (info === null) throw new SourceError(`--input: no such file: ${pattern}`);
    if (!info.isFile()) throw new SourceError(`--input: not a file: ${pattern}`);
    return [pattern];
  }
  const paths = (await fg(pattern, { onlyFiles: true, dot: false })).sort();
  if (paths.length === 0) throw new SourceError(`--input: no files match ${pattern}`);
  return paths;
}

/** JSONL files, read in order. Records are identified as `path:line`. */
export class FileSource implements Source {
  readonly description: string;
  readonly bounded = true;

  constructor(private readonly paths: readonly string[], private readonly chunkBytes = DEFAULT_CHUNK_BYTES) {
    this.description = paths.length === 1 ? paths[0] : `${paths.length} files (${paths[0]}, ...)`;
  }

  async *chunks(): AsyncGenerator<LineChunk> {
    for (const path of this.paths) yield* fileChunks(path, this.chunkBytes);
  }

  async acknowledge(): Promise<void> {
    // Files are re-readable: nothing to acknowledge.
  }
}
