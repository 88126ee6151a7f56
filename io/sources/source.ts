import { RawChunk } from "../../transforms/core/chunk";

/**
 * Where a run's records come from. A source cuts its input into chunks and is
 * told, after the sink has committed a chunk's results, that the chunk may be
 * acknowledged (a Pub/Sub source acks its messages then; a file has nothing to ack).
 */
export interface Source {
  /** For people: what is being read. */
  readonly description: string;
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
