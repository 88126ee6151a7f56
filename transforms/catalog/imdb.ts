import { registerModule } from "../core/registry";
import * as beam from "apache-beam";
import { DeadLetter } from "../../schemas/dead-letter";
import { titleBasics, TitleBasics, titleRatings, TitleRatings } from "../../schemas/catalog";
import { utcDay } from "../../schemas/timestamp";
import { originOf, RawChunk, recordsOf } from "../core/chunk";
import { deadLetterOf } from "../core/dead-letter";
import { isRejection, reject, Rejection } from "../core/validate";

/**
 * IMDb's title datasets in their published layout: a header line, one title
 * per line, columns separated by tabs, `\N` for a missing value, no quoting.
 */

/** What IMDb writes for a missing value. */
export const IMDB_NULL = "\\N";

export const CATALOG_FILES = {
  basics: { table: titleBasics.name, columns: ["tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear", "runtimeMinutes", "genres"] },
  ratings: { table: titleRatings.name, columns: ["tconst", "averageRating", "numVotes"] },
} as const;

export type CatalogFileKind = keyof typeof CATALOG_FILES;

/** The header line a file of `kind` starts with. */
export const headerOf = (kind: CatalogFileKind): string => CATALOG_FILES[kind].columns.join("\t");

/** Which dataset a file is, by IMDb's file name (`title.basics.tsv.gz`, `title.ratings.tsv`, any directory); undefined for another file. */
export function catalogKindOf(path: string): CatalogFileKind | undefined {
  const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  const match = /^title\.(basics|ratings)(?:[._-][^/]*)?\.tsv(?:\.gz)?$/.exec(name);
  return match === null ? undefined : (match[1] as CatalogFileKind);
}

/** A nullable text column. */
const text = (value: string): string | null => (value === IMDB_NULL ? null : value);

/** A whole number in decimal digits (IMDb writes no signs, no exponents), or null for `\N`. */
function integer(column: string, value: string): number | null | Rejection {
  if (value === IMDB_NULL) return null;
  if (!/^\d{1,15}$/.test(value)) return reject("not_an_integer", `${column} must be a whole number or \\N, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** IMDb's isAdult: 0 or 1, or `\N`. */
function boolean(column: string, value: string): boolean | null | Rejection {
  if (value === "1") return true;
  if (value === "0") return false;
  if (value === IMDB_NULL) return null;
  return reject("unknown_boolean", `${column} must be 0, 1 or \\N, got ${JSON.stringify(value)}`);
}

function columnsOf(kind: CatalogFileKind, line: string): string[] | Rejection {
  const fields = line.split("\t");
  const expected = CATALOG_FILES[kind].columns.length;
  if (fields.length !== expected) return reject("wrong_column_count", `title.${kind} lines have ${expected} tab-separated columns, this one has ${fields.length}`);
  if (fields[0] === IMDB_NULL || fields[0] === "") return reject("missing_field", "tconst is required");
  return fields;
}

/** A title.basics line as a row of title_basics, or why not. */
export function decodeBasics(line: string, runDate: number): TitleBasics | Rejection {
  const f = columnsOf("basics", line);
  if (isRejection(f)) return f;
  const isAdult = boolean("isAdult", f[4]);
  if (isRejection(isAdult)) return isAdult;
  const startYear = integer("startYear", f[5]);
  if (isRejection(startYear)) return startYear;
  const endYear = integer("endYear", f[6]);
  if (isRejection(endYear)) return endYear;
  const runtimeMinutes = integer("runtimeMinutes", f[7]);
  if (isRejection(runtimeMinutes)) return runtimeMinutes;
  const genres = f[8] === IMDB_NULL || f[8] === "" ? [] : f[8].split(",");
  return { tconst: f[0], titleType: text(f[1]), primaryTitle: text(f[2]), originalTitle: text(f[3]), isAdult, startYear, endYear, runtimeMinutes, genres, run_date: runDate };
}

/** A title.ratings line as a row of title_ratings, or why not. */
export function decodeRatings(line: string, runDate: number): TitleRatings | Rejection {
  const f = columnsOf("ratings", line);
  if (isRejection(f)) return f;
  const rating = f[1] === IMDB_NULL ? NaN : Number(f[1]);
  if (!/^\d+(\.\d+)?$/.test(f[1]) || !(rating >= 1 && rating <= 10)) return reject("bad_rating", `averageRating must be a number from 1 to 10, got ${JSON.stringify(f[1])}`);
  const votes = integer("numVotes", f[2]);
  if (isRejection(votes)) return votes;
  if (votes === null) return reject("missing_field", "numVotes is required");
  return { tconst: f[0], averageRating: rating, numVotes: votes, run_date: runDate };
}

/** A chunk of a catalog file after parsing: every data line is a row of its table or a dead letter. */
export interface ParsedCatalogChunk {
  readonly basics: TitleBasics[];
  readonly ratings: TitleRatings[];
  readonly deadLetters: DeadLetter[];
  /** Data lines (not the header, not blank lines). */
  readonly read: number;
  readonly blank: number;
}

/**
 * Parses one chunk of a title.basics or title.ratings file, chosen by the
 * chunk's file name. The file's first line must be its header; a first line
 * that is not is a dead letter (the columns may be in another order). Never
 * throws for bad input.
 */
export function parseCatalogChunk(chunk: RawChunk, pipeline: string): ParsedCatalogChunk {
  const records = recordsOf(chunk);
  const kind = catalogKindOf(chunk.source);
  const runDate = utcDay(chunk.receivedAt);
  const basics: TitleBasics[] = [];
  const ratings: TitleRatings[] = [];
  const deadLetters: DeadLetter[] = [];
  let read = 0;
  for (let i = 0; i < records.payloads.length; i++) {
    const line = records.payloads[i];
    let outcome: TitleBasics | TitleRatings | Rejection;
    if (kind === undefined) outcome = reject("unknown_file", `${chunk.source} is neither a title.basics nor a title.ratings file`);
    else if (records.positions[i] === 1 && chunk.kind === "lines") {
      if (line === headerOf(kind)) continue;
      outcome = reject("unexpected_header", `the first line of title.${kind} must be its header: ${headerOf(kind).replace(/\t/g, "<TAB>")}`);
    } else if (records.undecodable?.has(i)) outcome = reject("invalid_utf8", `not valid UTF-8 at ${records.undecodable.get(i)}`);
    else outcome = kind === "basics" ? decodeBasics(line, runDate) : decodeRatings(line, runDate);
    read++;
    if (isRejection(outcome)) deadLetters.push(deadLetterOf(pipeline, originOf(records, i), line, outcome, chunk.receivedAt));
    else if (kind === "basics") basics.push(outcome as TitleBasics);
    else ratings.push(outcome as TitleRatings);
  }
  return { basics, ratings, deadLetters, read, blank: records.blank };
}

export interface CatalogParseContext {
  pipeline: string;
  recordsRead: beam.Counter;
  blankLines: beam.Counter;
  validRecords: beam.Counter;
  deadLetters: beam.Counter;
}

/** parseCatalogChunk, counted in the counters every pipeline reports (transforms/core/parse-records.ts). */
export function parseCatalogCounted(chunk: RawChunk, context: CatalogParseContext): ParsedCatalogChunk {
  const parsed = parseCatalogChunk(chunk, context.pipeline);
  context.recordsRead.increment(parsed.read + parsed.blank);
  context.blankLines.increment(parsed.blank);
  context.validRecords.increment(parsed.basics.length + parsed.ratings.length);
  context.deadLetters.increment(parsed.deadLetters.length);
  return parsed;
}

registerModule("transforms/catalog/imdb", module.exports);
