import { constants, createReadStream } from "fs";
import { access, stat } from "fs/promises";
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

/** A file that could be opened but not read to its end (damaged gzip data): its lines before the damage were read. */
export class DamagedInputError extends SourceError {}

/**
 * Cuts one file (gzip when it ends in `.gz`) into chunks of whole lines. Damaged
 * gzip data ends the file with a DamagedInputError naming the compressed byte
 * offset where zlib found it, after the whole lines decompressed before it.
 */
async function* fileChunks(path: string, chunkBytes: number): AsyncGenerator<LineChunk> {
  const raw = createReadStream(path, { highWaterMark: chunkBytes });
  const gunzip = path.endsWith(".gz") ? createGunzip() : undefined;
  // pipe() does not forward errors: the gunzip stream is the one iterated, so a read error must reach it.
  if (gunzip) raw.on("error", (error) => gunzip.destroy(error));
  const stream = gunzip ? raw.pipe(gunzip) : raw;
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
  try {
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
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (gunzip === undefined || !code?.startsWith("Z_")) throw new SourceError(`--input ${path}: cannot be read (${code ?? message})`);
    // The whole lines before the damage are kept; the cut line and the rest of the file are not read.
    const data = Buffer.concat(pending, pendingBytes);
    const cut = data.lastIndexOf(10) + 1;
    if (cut > 0) yield emit(data.subarray(0, cut));
    const damage =
      code === "Z_BUF_ERROR" ? `gzip data ends early, at byte ${raw.bytesRead} (a truncated file)` : `damaged gzip data at compressed byte ${gunzip.bytesWritten} (${message})`;
    throw new DamagedInputError(`${path}: ${damage}; ${firstLine - 1} lines before it were read`);
  }
  if (pendingBytes > 0) yield emit(Buffer.concat(pending, pendingBytes));
}

/** Every input is checked before the run starts, so a file it cannot open does not stop it halfway. */
async function checkReadable(path: string): Promise<void> {
  await access(path, constants.R_OK).catch((error: NodeJS.ErrnoException) => {
    throw new SourceError(`--input ${path}: cannot be read (${error.code === "EACCES" ? "permission denied" : error.code ?? error.message})`);
  });
}

/** Expands `--input`: a file, or a glob of files, in sorted order. */
export async function resolveInputs(pattern: string): Promise<string[]> {
  if (!fg.isDynamicPattern(pattern)) {
    const info = await stat(pattern).catch(() => null);
    if (info === null) throw new SourceError(`--input: no such file: ${pattern}`);
    if (!info.isFile()) throw new SourceError(`--input: not a file: ${pattern}`);
    await checkReadable(pattern);
    return [pattern];
  }
  const paths = (await fg(pattern, { onlyFiles: true, dot: false })).sort();
  if (paths.length === 0) throw new SourceError(`--input: no files match ${pattern}`);
  for (const path of paths) await checkReadable(path);
  return paths;
}

/**
 * JSONL files, read in order. Records are identified as `path:line`. A file
 * with damaged gzip data does not stop the others: its lines before the damage
 * and every other file are read, and `damaged` says what was not.
 */
export class FileSource implements Source {
  readonly description: string;
  readonly bounded = true;
  /** One line per file whose end could not be read. */
  readonly damaged: string[] = [];

  constructor(private readonly paths: readonly string[], private readonly chunkBytes = DEFAULT_CHUNK_BYTES) {
    this.description = paths.length === 1 ? paths[0] : `${paths.length} files (${paths[0]}, ...)`;
  }

  async *chunks(): AsyncGenerator<LineChunk> {
    for (const path of this.paths) {
      try {
        yield* fileChunks(path, this.chunkBytes);
      } catch (error) {
        if (!(error instanceof DamagedInputError)) throw error;
        this.damaged.push(error.message);
      }
    }
  }

  async acknowledge(): Promise<void> {
    // Files are re-readable: nothing to acknowledge.
  }
}
