import { registerModule } from "./registry";
import { DeadLetter } from "../../schemas/dead-letter";
import { originOf, RawChunk, recordsOf } from "./chunk";
import { deadLetterOf } from "./dead-letter";
import { isRejection, reject, Rejection } from "./validate";

/** Reads one parsed JSON record (received at `receivedAt`, epoch microseconds), or says why not. */
export type Decoder<T> = (value: unknown, receivedAt: number) => T | Rejection;

/**
 * A check that needs more than the record itself (lateness needs the newest
 * event time seen): run in arrival order on every decoded record.
 */
export interface Admission<T, P> {
  readonly check: (record: T, params: P) => Rejection | null;
  readonly params: P;
}

/** A chunk after parsing: every non-blank record is in exactly one of `valid` and `deadLetters`. */
export interface ParsedChunk<T> {
  readonly valid: T[];
  readonly deadLetters: DeadLetter[];
  readonly read: number;
  readonly blank: number;
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
  const payloads = records.payloads;
  for (let i = 0; i < payloads.length; i++) {
    let outcome: T | Rejection;
    try {
      outcome = decode(JSON.parse(payloads[i]), chunk.receivedAt);
    } catch (error) {
      outcome = reject("invalid_json", `not valid JSON: ${(error as Error).message}`);
    }
    if (admission !== undefined && !isRejection(outcome)) outcome = admission.check(outcome, admission.params) ?? outcome;
    if (isRejection(outcome)) {
      deadLetters.push(deadLetterOf(pipeline, originOf(records, i), payloads[i], outcome, chunk.receivedAt));
    } else {
      valid.push(outcome);
    }
  }
  return { valid, deadLetters, read: payloads.length + records.blank, blank: records.blank };
}

registerModule("transforms/core/parse", module.exports);
