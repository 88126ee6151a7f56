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
 * Cuts a file's (decompressed) bytes into chunks of whole lines of about
 * `chunkBytes`, numbering lines from 1: what both file readers (the async
 * one here, the synchronous one of portable runners) share.
 */
export class LineCutter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The number of the next line to emit, 1-based. */
  firstLine = 1;
  private offset = 0;

  constructor(private readonly path: string, private readonly chunkBytes: number) {}

  private emit(data: Buffer): LineChunk {
    const chunk = lineChunk(this.path, this.offset, this.firstLine, data, true);
    this.firstLine += countNewlines(data);
    this.offset += data.length;
    return chunk;
  }

  /** Adds a piece; a chunk once at least chunkBytes of whole lines are pending. */
  push(piece: Buffer): LineChunk | undefined {
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    if (this.pendingBytes < this.chunkBytes) return undefined;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    const cut = data.lastIndexOf(10) + 1;
    if (cut === 0) return undefined; // one line longer than a chunk: keep reading
    // Copy the tail so each emitted chunk owns its whole buffer (it may be transferred to a worker).
    const rest = Buffer.from(data.subarray(cut));
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return this.emit(data.subarray(0, cut));
  }

  /** The whole lines still pending (a cut last line is dropped): after damage. */
  wholeLines(): LineChunk | undefined {
    const data = Buffer.concat(this.pending, this.pendingBytes);
    const cut = data.lastIndexOf(10) + 1;
    return cut > 0 ? this.emit(data.subarray(0, cut)) : undefined;
  }

  /** Everything still pending, at the end of the file (its last line may have no newline). */
  end(): LineChunk | undefined {
    return this.pendingBytes > 0 ? this.emit(Buffer.concat(this.pending, this.pendingBytes)) : undefined;
  }
}

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
  const cutter = new LineCutter(path, chunkBytes);
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      const chunk = cutter.push(piece);
      if (chunk !== undefined) yield chunk;
    }
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (gunzip === undefined || !code?.startsWith("Z_")) throw new SourceError(`--input ${path}: cannot be read (${code ?? message})`);
    // The whole lines before the damage are kept; the cut line and the rest of the file are not read.
    const chunk = cutter.wholeLines();
    if (chunk !== undefined) yield chunk;
    const damage =
      code === "Z_BUF_ERROR" ? `gzip data ends early, at byte ${raw.bytesRead} (a truncated file)` : `damaged gzip data at compressed byte ${gunzip.bytesWritten} (${message})`;
    throw new DamagedInputError(`${path}: ${damage}; ${cutter.firstLine - 1} lines before it were read`);
  }
  const last = cutter.end();
  if (last !== undefined) yield last;
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
