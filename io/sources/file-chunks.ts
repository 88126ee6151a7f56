import { closeSync, openSync, readSync } from "fs";
import { Gunzip } from "fflate";
import { LineChunk } from "../../transforms/core/chunk";
import { registerModule } from "../../transforms/core/registry";
import { DEFAULT_CHUNK_BYTES, LineCutter } from "./file-source";
import { SourceError } from "./source";

/**
 * A file read inside a DoFn, for the batch jobs of portable runners (the
 * catalog on Flink): the SDK has no asynchronous DoFn, so the file is read
 * synchronously, one piece of `chunkBytes` at a time, and cut into the same
 * chunks as the direct runner's reader (LineCutter: same line numbers, same
 * units), lazily, so memory holds a few chunks whatever the file's length.
 */

/** DoFn (flatMap): a file's path -> its chunks of whole lines. A file that cannot be read to its end fails the bundle, and so the job: its log row is not written, and the next run reads it again. */
export function* readFileChunks(path: string, context: { chunkBytes?: number } = {}): Generator<LineChunk> {
  const chunkBytes = context.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const cutter = new LineCutter(path, chunkBytes);
  // Node's zlib has no synchronous step-by-step inflate (gunzipSync takes a whole buffer; its sync step closes the stream): fflate's Gunzip is one, in plain JavaScript.
  let inflated: Uint8Array[] = [];
  const gunzip = path.endsWith(".gz") ? new Gunzip((data) => void inflated.push(data)) : undefined;
  const buffer = Buffer.alloc(chunkBytes);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new SourceError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, chunkBytes, null);
      const raw = Buffer.from(buffer.subarray(0, read));
      let pieces: Uint8Array[] = [raw];
      if (gunzip !== undefined) {
        try {
          gunzip.push(raw, read === 0);
        } catch (error) {
          throw new SourceError(`${path}: damaged gzip data (${(error as Error).message}) after line ${cutter.firstLine - 1}`);
        }
        pieces = inflated;
        inflated = [];
      }
      for (const piece of pieces) {
        const chunk = piece.length > 0 ? cutter.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)) : undefined;
        if (chunk !== undefined) yield chunk;
      }
      if (read === 0) break;
    }
    const last = cutter.end();
    if (last !== undefined) yield last;
  } finally {
    closeSync(fd);
  }
}

registerModule("io/sources/file-chunks", module.exports);
