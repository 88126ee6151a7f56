import { createReadStream, existsSync } from "fs";
import { join } from "path";
import { createInterface } from "readline";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
import { JsonlSink } from "../io/sinks/jsonl-sink";
import { Sink } from "../io/sinks/sink";
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

/**
 * The catalog's titles as the warehouse holds them now (its `title_basics`
 * table, docs/catalog.md), for the OTT views' side input; undefined when the
 * warehouse has no catalog, or the sink keeps nothing to read (stdout).
 * The BigQuery sink's warehouse is read on Dataflow by the job itself
 * (runners/portable/graph.ts); on the direct runner it is not read yet.
 */
export async function readCatalog(sink: Sink): Promise<CatalogSnapshot | undefined> {
  const titles = sink instanceof DuckDbSink ? await duckDbTitles(sink) : sink instanceof JsonlSink ? await jsonlTitles(sink) : undefined;
  return titles === undefined ? undefined : catalogSnapshot(titles);
}
