import { createReadStream, existsSync } from "fs";
import { join } from "path";
import { createInterface } from "readline";
import { bigQueryClient } from "../io/bigquery/client";
import { queryRows } from "../io/bigquery/query";
import { DEFAULT_RETRY, REAL_CLOCK } from "../io/bigquery/retry";
import { BigQuerySink } from "../io/sinks/bigquery-sink";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
import { JsonlSink } from "../io/sinks/jsonl-sink";
import { Sink, SinkError } from "../io/sinks/sink";
import { titleBasics } from "../schemas/catalog";
import { quoteIdent } from "../schemas/duckdb";
import { CatalogSnapshot, catalogSnapshot, CatalogTitle, catalogTitleOf } from "../transforms/catalog/titles";

/** title_basics in an open DuckDB warehouse, through a connection of its own (commits go on meanwhile). */
async function duckDbTitles(sink: DuckDbSink): Promise<CatalogTitle[] | undefined> {
  const connection = await sink.readerConnection();
  try {
    const table = titleBasics.name.replace(/'/g, "''");
    const found = await connection.runAndReadAll(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' AND table_name = '${table}'`);
    if (found.getRows().length === 0) return undefined;
    const rows = (await connection.runAndReadAll(`SELECT tconst, primaryTitle, genres[1] FROM ${quoteIdent(titleBasics.name)}`)).getRows();
    return rows.map((r) => ({ tconst: String(r[0]), title: r[1] === null ? null : String(r[1]), genre: r[2] === null ? null : String(r[2]) }));
  } finally {
    connection.closeSync();
  }
}

/**
 * title_basics.jsonl in a JSONL directory. The catalog pipeline may be
 * appending to it (another process): a last line cut short is not a title yet.
 */
async function jsonlTitles(sink: JsonlSink): Promise<CatalogTitle[] | undefined> {
  const path = join(sink.directory, `${titleBasics.name}.jsonl`);
  if (!existsSync(path)) return undefined;
  const titles: CatalogTitle[] = [];
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line.trim() === "") continue;
    let row: { tconst?: unknown; primaryTitle?: string | null; genres?: string[] | null };
    try {
      row = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof row.tconst === "string") titles.push(catalogTitleOf({ tconst: row.tconst, primaryTitle: row.primaryTitle, genres: row.genres }));
  }
  return titles;
}

/** A REPEATED column's value in BigQuery's REST result: `[{v: item}, ...]`. */
type RepeatedCell = { v: string | null }[] | null;

/**
 * title_basics in the BigQuery sink's dataset, through a query job (the
 * table may be loaded by another job meanwhile: the daily catalog job).
 */
async function bigQueryTitles(sink: BigQuerySink): Promise<CatalogTitle[] | undefined> {
  const { project, dataset, notice } = sink.settings;
  const sql = `SELECT tconst, primaryTitle, genres FROM \`${project}.${dataset}.${titleBasics.name}\``;
  let rows: Record<string, unknown>[];
  try {
    rows = await queryRows(sink.settings.client ?? bigQueryClient({ project }), sql, { ...DEFAULT_RETRY, notice }, REAL_CLOCK);
  } catch (error) {
    if ((error as { code?: unknown }).code === 404) return undefined; // no catalog in the dataset
    throw new SinkError(`BigQuery: reading the catalog (${titleBasics.name}) failed: ${(error as Error).message.split("\n")[0]}`);
  }
  return rows.map((r) => ({ tconst: String(r.tconst), title: (r.primaryTitle as string | null) ?? null, genre: (r.genres as RepeatedCell)?.[0]?.v ?? null }));
}

/**
 * The catalog's titles as the warehouse holds them now (its `title_basics`
 * table, docs/catalog.md), for the OTT views' side input; undefined when the
 * warehouse has no catalog, or the sink keeps nothing to read (stdout).
 * (On Dataflow the job reads BigQuery's itself: runners/portable/graph.ts.)
 */
export async function readCatalog(sink: Sink): Promise<CatalogSnapshot | undefined> {
  const titles =
    sink instanceof DuckDbSink ? await duckDbTitles(sink) : sink instanceof JsonlSink ? await jsonlTitles(sink) : sink instanceof BigQuerySink ? await bigQueryTitles(sink) : undefined;
  return titles === undefined ? undefined : catalogSnapshot(titles);
}
