import { createHash } from "crypto";
import { resolve } from "path";
import { LineChunk, RawChunk } from "../../transforms/core/chunk";

/**
 * Where a run's records come from. A source cuts its input into chunks and is
 * told, after the sink has committed a chunk's results, that the chunk may be
 * acknowledged (a Pub/Sub source acks its messages then; a file has nothing to ack).
 */
export interface Source {
  /** For people: what is being read. */
  readonly description: string;
  /** Finite input (files, samples): it has no late data, so the watermark never advances while it is read. */
  readonly bounded: boolean;
  /** The input, chunk by chunk; stops early once `signal` is aborted. */
  chunks(signal?: AbortSignal): AsyncIterable<RawChunk>;
  /** Called with the ack ids of chunks (see `ackIdsOf`) once their results are durable. */
  acknowledge(ackIds: readonly string[]): Promise<void>;
}

/** Input that could not be opened: reported as a usage error, not a crash. */
export class SourceError extends Error {}

export function nowMicros(): number {
  return Date.now() * 1000;
}

/**
 * A chunk of lines read from `source` (a file, or a sample's name) at byte
 * `offset`. Its unit, what the sink's ledger records once its effects are
 * committed, names the absolute path, the offset and a hash of the bytes: the
 * same bytes at the same place are the same input, so a re-run skips them,
 * and a file rewritten in place is read again.
 */
export function lineChunk(source: string, offset: number, firstLine: number, data: Uint8Array, isFile: boolean): LineChunk {
  const hash = createHash("sha1").update(data).digest("base64url");
  const unit = `${isFile ? resolve(source) : source}@${offset}:${hash}`;
  return { kind: "lines", source, unit, firstLine, data, receivedAt: nowMicros() };
}
