import { titleBasics, titleRatings } from "./catalog";
import { FieldSpec, TableSpec } from "./table";

/**
 * Analytical views: a query over tables of the schema source, created by the
 * DuckDB and BigQuery sinks, by `resources ensure` and by Terraform (through
 * the manifest `npm run schemas` writes). One text serves both warehouses:
 * it uses only functions both have, alike (ARRAY_LENGTH; COUNT(CASE ...)
 * where the seed wrote COUNTIF, which over no rows is 0 in BigQuery and NULL
 * in DuckDB), and each table
 * is named through `from`, which each warehouse spells its own way.
 */
export interface ViewSpec {
  readonly name: string;
  readonly description: string;
  /** The view's columns: its BigQuery schema file, and what the tests check. */
  readonly fields: readonly FieldSpec[];
  /** The tables it reads (they must exist before it is created). */
  readonly reads: readonly TableSpec[];
  /** The query, with each table named by `from`. */
  query(from: (table: TableSpec) => string): string;
}

/** The view's query as DuckDB runs it: tables by their own names. */
export const duckdbViewSql = (view: ViewSpec): string => view.query((t) => t.name);

/** The view's query as BigQuery runs it: tables as `project.dataset.table`. */
export const bigQueryViewSql = (view: ViewSpec, project: string, dataset: string): string => view.query((t) => `\`${project}.${dataset}.${t.name}\``);

/** A view's fields as a table spec, for the code that writes schema files (a view has no key or partitioning). */
export const viewColumns = (view: ViewSpec): TableSpec => ({ name: view.name, description: view.description, fields: view.fields, key: [], partitionField: "", clustering: [] });

const basicsField = (name: string): FieldSpec => titleBasics.fields.find((f) => f.name === name)!;
/** A rating column of the view: null for an unrated title (the LEFT JOIN). */
const ratingsField = (name: string): FieldSpec => ({ ...titleRatings.fields.find((f) => f.name === name)!, mode: "NULLABLE" });

/** Seed 001's content performance: every title with its rating and votes (null when it has none). */
export const contentPerformance: ViewSpec = {
  name: "content_performance",
  description: "Every catalog title with its IMDb rating and votes (null when unrated): seed 001's content performance view.",
  fields: [basicsField("tconst"), basicsField("primaryTitle"), basicsField("titleType"), basicsField("startYear"), ratingsField("averageRating"), ratingsField("numVotes"), basicsField("genres")],
  reads: [titleBasics, titleRatings],
  query: (from) =>
    [
      "SELECT",
      "  t.tconst,",
      "  t.primaryTitle,",
      "  t.titleType,",
      "  t.startYear,",
      "  r.averageRating,",
      "  r.numVotes,",
      "  t.genres",
      `FROM ${from(titleBasics)} t`,
      `LEFT JOIN ${from(titleRatings)} r`,
      "ON t.tconst = r.tconst",
    ].join("\n"),
};

const count = (name: string, description: string): FieldSpec => ({ name, type: "INT64", mode: "NULLABLE", description });

/** Seed 001's data quality monitoring: rows, titles without a name and titles without a genre, per catalog table. */
export const dataQualityMetrics: ViewSpec = {
  name: "data_quality_metrics",
  description: "Rows per catalog table, with titles missing their name or genres: seed 001's data quality view.",
  fields: [
    { name: "table_name", type: "STRING", mode: "NULLABLE", description: "title_basics or title_ratings." },
    count("row_count", "Rows in the table."),
    count("missing_titles", "Titles whose primaryTitle is null (\\N); 0 for title_ratings, which has none."),
    count("missing_genres", "Titles with no genre (\\N); 0 for title_ratings, which has none."),
  ],
  reads: [titleBasics, titleRatings],
  query: (from) =>
    [
      "SELECT",
      `  '${titleBasics.name}' AS table_name,`,
      "  COUNT(*) AS row_count,",
      "  COUNT(CASE WHEN primaryTitle IS NULL THEN 1 END) AS missing_titles,",
      "  COUNT(CASE WHEN ARRAY_LENGTH(genres) = 0 THEN 1 END) AS missing_genres",
      `FROM ${from(titleBasics)}`,
      "UNION ALL",
      "SELECT",
      `  '${titleRatings.name}' AS table_name,`,
      "  COUNT(*) AS row_count,",
      "  0 AS missing_titles,",
      "  0 AS missing_genres",
      `FROM ${from(titleRatings)}`,
    ].join("\n"),
};
