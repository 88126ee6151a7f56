import { registerModule } from "./registry";
import { DeadLetter } from "../../schemas/dead-letter";
import { originOf, RawChunk, recordsOf } from "./chunk";
import { currentBundle } from "./bundle-context";
import { deadLetterOf } from "./dead-letter";
import { isRejection, reject, Rejection } from "./validate";

/** Reads one parsed JSON record (received at `receivedAt`, epoch microseconds), or says why not. */
export type Decoder<T> = (value: unknown, receivedAt: number) => T | Rejection;

/** Admission's verdict on a record that repeats one already counted: skipped and counted, not a dead letter. */
export const DUPLICATE = "duplicate";

/**
 * What admission knows of a record's arrival: when its chunk arrived, and the
 * keys admitted so far in the bundle the runner executes (in the chunk, where
 * the runner does not say).
 */
export interface Arrival {
  readonly receivedAt: number;
  readonly seen: Set<string>;
}

/**
 * A check that needs more than the record itself (when it arrived, what was
 * already admitted): run in arrival order on every decoded record of a chunk.
 * It keeps no state beyond the chunk, so a retried bundle decides alike.
 */
export interface Admission<T, P = unknown> {
  readonly check: (record: T, params: P, arrival: Arrival) => Rejection | typeof DUPLICATE | null;
  readonly params: P;
}

/** A chunk after parsing: every non-blank record is in exactly one of `valid`, `deadLetters` and the duplicates. */
export interface ParsedChunk<T> {
  readonly valid: T[];
  readonly deadLetters: DeadLetter[];
  readonly read: number;
  readonly blank: number;
  readonly duplicates: number;
}

/**
 * Parses each record of a chunk as JSON and decodes it with `decode`; a record
 * that is not JSON or that `decode` rejects becomes a dead letter. Never throws
 * for bad input.
 */
export function parseChunk<T, P>(chunk: RawChunk, pipeline: string, decode: Decoder<T>, admission?: Admission<T, P>): ParsedChunk<T> {
  const records = recordsOf(chunk);
  const valid: T[] = [];
  const deadLetters: DeadLetter[] = [];
  const arrival: Arrival = { receivedAt: chunk.receivedAt, seen: currentBundle.seenKeys ?? new Set() };
  let duplicates = 0;
  const payloads = records.payloads;
  for (let i = 0; i < payloads.length; i++) {
    let outcome: T | Rejection;
    const invalidUtf8 = records.undecodable?.get(i);
    try {
      outcome = invalidUtf8 !== undefined ? reject("invalid_utf8", `not valid UTF-8 at ${invalidUtf8}`) : decode(JSON.parse(payloads[i]), chunk.receivedAt);
    } catch (error) {
      outcome = reject("invalid_json", `not valid JSON: ${(error as Error).message}`);
    }
    if (admission !== undefined && !isRejection(outcome)) {
      const verdict = admission.check(outcome, admission.params, arrival);
      if (verdict === DUPLICATE) {
        duplicates++;
        continue;
      }
      outcome = verdict ?? outcome;
    }
    if (isRejection(outcome)) {
      deadLetters.push(deadLetterOf(pipeline, originOf(records, i), payloads[i], outcome, chunk.receivedAt));
    } else {
      valid.push(outcome);
    }
  }
  return { valid, deadLetters, read: payloads.length + records.blank, blank: records.blank, duplicates };
}

registerModule("transforms/core/parse", module.exports);
