import { fieldSpecs, RowOf, tableSpec } from "./table";

/**
 * The catalog: IMDb's title datasets as IMDb publishes them
 * (https://developer.imdb.com/non-commercial-datasets/), one row per title,
 * with IMDb's own column names (the seed's views use them), typed: `\N`
 * becomes null, `isAdult` a boolean, years and minutes integers, `genres`
 * an array (empty when IMDb has none).
 */

const runDate = { name: "run_date", type: "DATE", mode: "REQUIRED", description: "UTC date of the ingestion that stored the row; the partition column." } as const;

const titleBasicsFields = fieldSpecs([
  { name: "tconst", type: "STRING", mode: "REQUIRED", description: "Unique identifier of the title (IMDb's tt0000001, or the platform's own content_id)." },
  { name: "titleType", type: "STRING", mode: "NULLABLE", description: "movie, short, tvSeries, tvEpisode, video, ..." },
  { name: "primaryTitle", type: "STRING", mode: "NULLABLE", description: "The title used for promotion." },
  { name: "originalTitle", type: "STRING", mode: "NULLABLE", description: "The title in its original language." },
  { name: "isAdult", type: "BOOL", mode: "NULLABLE", description: "Adult title (IMDb's 1), or not (0)." },
  { name: "startYear", type: "INT64", mode: "NULLABLE", description: "Release year; for a series, the year it started." },
  { name: "endYear", type: "INT64", mode: "NULLABLE", description: "For a series, the year it ended; null otherwise." },
  { name: "runtimeMinutes", type: "INT64", mode: "NULLABLE", min: 0, description: "Primary runtime, in minutes." },
  { name: "genres", type: "STRING", mode: "REPEATED", description: "Up to three genres; empty when IMDb has none (\\N)." },
  runDate,
] as const);

export const titleBasics = tableSpec({
  name: "title_basics",
  description: "IMDb title.basics: one row per title, replaced whole when the file changes.",
  fields: titleBasicsFields,
  key: ["tconst"],
  partitionField: "run_date",
  clustering: ["tconst"],
} as const);

export type TitleBasics = RowOf<typeof titleBasicsFields>;

const titleRatingsFields = fieldSpecs([
  { name: "tconst", type: "STRING", mode: "REQUIRED", description: "The rated title (title_basics.tconst)." },
  { name: "averageRating", type: "FLOAT64", mode: "REQUIRED", description: "Weighted average of the users' ratings, 1 to 10." },
  { name: "numVotes", type: "INT64", mode: "REQUIRED", min: 0, description: "Number of votes the title received." },
  runDate,
] as const);

export const titleRatings = tableSpec({
  name: "title_ratings",
  description: "IMDb title.ratings: rating and votes per title, replaced whole when the file changes.",
  fields: titleRatingsFields,
  key: ["tconst"],
  partitionField: "run_date",
  clustering: ["tconst"],
} as const);

export type TitleRatings = RowOf<typeof titleRatingsFields>;

const ingestionLogFields = fieldSpecs([
  { name: "ingestion_id", type: "STRING", mode: "REQUIRED", description: "The run's start (RFC 3339) and the file name: one row per file and run." },
  { name: "file_name", type: "STRING", mode: "REQUIRED", description: "The file's name (title.basics.tsv.gz): change detection compares files of the same name." },
  { name: "file_path", type: "STRING", mode: "REQUIRED", description: "Where the run read it." },
  { name: "table_name", type: "STRING", mode: "REQUIRED", description: "The table the file replaces." },
  { name: "md5", type: "STRING", mode: "REQUIRED", description: "MD5 of the file's bytes as stored (compressed when .gz), hex." },
  { name: "size_bytes", type: "INT64", mode: "REQUIRED", description: "The file's size as stored." },
  { name: "skipped_unchanged", type: "BOOL", mode: "REQUIRED", description: "True when the MD5 equalled the last logged ingestion's: nothing was read." },
  { name: "rows_read", type: "INT64", mode: "REQUIRED", description: "Data lines read (the header and blank lines not counted)." },
  { name: "rows_stored", type: "INT64", mode: "REQUIRED", description: "Rows the table holds from this file (a repeated tconst is stored once)." },
  { name: "rows_dead_lettered", type: "INT64", mode: "REQUIRED", description: "Lines sent to dead_letter." },
  { name: "started_at", type: "TIMESTAMP", mode: "REQUIRED", description: "When the run started with this file (UTC)." },
  { name: "finished_at", type: "TIMESTAMP", mode: "REQUIRED", description: "When its rows were committed (UTC)." },
  { name: "run_date", type: "DATE", mode: "REQUIRED", description: "UTC date of started_at; the partition column." },
] as const);

/** One row per input file and run, written once the file's rows are committed: a file without one is ingested again. */
export const ingestionLog = tableSpec({
  name: "ingestion_log",
  description: "Every catalog file each run saw: its MD5 and size, whether it was skipped as unchanged, and the rows it gave.",
  fields: ingestionLogFields,
  key: ["ingestion_id"],
  partitionField: "run_date",
  clustering: ["file_name"],
} as const);

export type IngestionLogRow = RowOf<typeof ingestionLogFields>;
