import { registerModule } from "./registry";
import * as beam from "apache-beam";
import { DeadLetter } from "../../schemas/dead-letter";
import { RawChunk } from "./chunk";
import { Admission, Decoder, parseChunk, ParsedChunk } from "./parse";

export interface ParseContext<T, P> {
  pipeline: string;
  decode: Decoder<T>;
  admission: Admission<T, P> | null;
  recordsRead: beam.Counter;
  blankLines: beam.Counter;
  validRecords: beam.Counter;
  deadLetters: beam.Counter;
  duplicates: beam.Counter;
}

export function parseCounted<T, P>(chunk: RawChunk, context: ParseContext<T, P>): ParsedChunk<T> {
  const parsed = parseChunk(chunk, context.pipeline, context.decode, context.admission ?? undefined);
  context.recordsRead.increment(parsed.read);
  context.blankLines.increment(parsed.blank);
  context.validRecords.increment(parsed.valid.length);
  context.deadLetters.increment(parsed.deadLetters.length);
  context.duplicates.increment(parsed.duplicates);
  return parsed;
}

/** Beam counter names every pipeline reports, read back by the runner for the summary. */
export const COUNTERS = {
  recordsRead: "records_read",
  blankLines: "blank_lines",
  validRecords: "valid_records",
  deadLetters: "dead_letters",
  /** Records skipped as repeats of one already counted (same key): neither valid nor dead letters. */
  duplicates: "duplicate_records",
} as const;

/**
 * PTransform: raw chunks -> decoded records and dead letters, one element per
 * input chunk. Counts what it read in Beam counters. `admission`, when given,
 * can still reject a decoded record (it becomes a dead letter like any other).
 */
export function parseRecords<T, P>(
  input: beam.PCollection<RawChunk>,
  pipeline: string,
  decode: Decoder<T>,
  admission?: Admission<T, P>,
): { valid: beam.PCollection<T[]>; deadLetters: beam.PCollection<DeadLetter[]> } {
  const parsed: beam.PCollection<ParsedChunk<T>> = input.map(beam.withName("ParseRecords", parseCounted as (chunk: RawChunk, context: ParseContext<T, P>) => ParsedChunk<T>), {
    pipeline,
    decode,
    admission: admission ?? null,
    recordsRead: beam.counter(COUNTERS.recordsRead),
    blankLines: beam.counter(COUNTERS.blankLines),
    validRecords: beam.counter(COUNTERS.validRecords),
    deadLetters: beam.counter(COUNTERS.deadLetters),
    duplicates: beam.counter(COUNTERS.duplicates),
  } as ParseContext<T, P>) as beam.PCollection<ParsedChunk<T>>;
  return {
    valid: parsed.map(beam.withName("ValidRecords", (p: ParsedChunk<T>) => p.valid)),
    deadLetters: parsed.map(beam.withName("DeadLetters", (p: ParsedChunk<T>) => p.deadLetters)),
  };
}

registerModule("transforms/core/parse-records", module.exports);
