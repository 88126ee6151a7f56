#!/usr/bin/env node
import { join } from "path";
import { PIPELINES } from "../pipelines/registry";
import { latestViewSql, stateTable, versionsTable } from "../io/bigquery/tables";
import { BIGQUERY_MANIFEST_FILE, BigQueryObject, bigQueryManifestFile, bigQuerySchemaFile, bigQuerySchemaFileName, VIEW_PLACEHOLDERS } from "../schemas/bigquery";
import { TableSpec } from "../schemas/table";
import { bigQueryViewSql, viewColumns, ViewSpec } from "../schemas/views";
import { exitWithError } from "./errors";
import { fileProblems, GeneratedFile, writeGeneratedFiles } from "./generated-files";

/** Where the generated BigQuery schema files live, from the repository root. */
export const BIGQUERY_SCHEMA_DIR = join("schemas", "bigquery");

/** Every table any pipeline writes, once each, by name. */
export function allTables(): TableSpec[] {
  const tables = new Map<string, TableSpec>();
  for (const pipeline of Object.values(PIPELINES)) for (const table of pipeline.tables) tables.set(table.name, table);
  return [...tables.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The merged tables (rows that are CombineFn panes the sink merges): the keys of the pipelines' `merges`. */
export function mergedTableNames(): Set<string> {
  return new Set(Object.values(PIPELINES).flatMap((pipeline) => [...(pipeline.merges?.keys() ?? [])]));
}

/**
 * What BigQuery holds for `tables`, as the BigQuery sink creates it
 * (io/bigquery/tables.ts): a plain table as itself; a merged table (named in
 * `merged`) as its `versionsTable` and `stateTable` and a view named like it,
 * `latestViewSql` with VIEW_PLACEHOLDERS for the project and dataset.
 */
export function bigQueryObjects(tables: readonly TableSpec[], merged: ReadonlySet<string>): BigQueryObject[] {
  const objects = tables.flatMap((t): BigQueryObject[] => {
    if (!merged.has(t.name)) return [{ kind: "table", table: t }];
    const query = latestViewSql(VIEW_PLACEHOLDERS.project, VIEW_PLACEHOLDERS.dataset, t);
    return [
      { kind: "view", table: t, query },
      { kind: "table", table: versionsTable(t) },
      { kind: "table", table: stateTable(t) },
    ];
  });
  const names = new Set<string>();
  for (const o of objects) {
    if (names.has(o.table.name)) throw new Error(`two BigQuery tables would be named ${o.table.name} (a merged table's __versions or __state table and another table): rename the table`);
    names.add(o.table.name);
  }
  return objects;
}

/** Every pipeline's analytical views, once each, by name. */
export function allViews(): ViewSpec[] {
  const views = new Map<string, ViewSpec>();
  for (const pipeline of Object.values(PIPELINES)) for (const view of pipeline.views ?? []) views.set(view.name, view);
  return [...views.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** An analytical view as BigQuery holds it: its query with VIEW_PLACEHOLDERS for the project and dataset. */
export const bigQueryView = (view: ViewSpec): BigQueryObject => ({ kind: "view", table: viewColumns(view), query: bigQueryViewSql(view, VIEW_PLACEHOLDERS.project, VIEW_PLACEHOLDERS.dataset) });

/** What `npm run schemas` writes from: every pipeline's tables, the merged ones as the sink stores them, then the analytical views. */
export const schemaSource = (): BigQueryObject[] => [...bigQueryObjects(allTables(), mergedTableNames()), ...allViews().map(bigQueryView)];

/**
 * Every file of BIGQUERY_SCHEMA_DIR: one schema per table and view (a view's
 * for `bq` and readers: Terraform lets BigQuery infer it), and the manifest
 * of the tables and views (what Terraform reads).
 */
export function generatedSchemaFiles(objects: readonly BigQueryObject[]): GeneratedFile[] {
  const clash = objects.find((o) => bigQuerySchemaFileName(o.table) === BIGQUERY_MANIFEST_FILE);
  if (clash) throw new Error(`table ${clash.table.name} would overwrite the manifest ${BIGQUERY_MANIFEST_FILE}: rename the table`);
  return [...objects.map((o) => ({ name: bigQuerySchemaFileName(o.table), text: bigQuerySchemaFile(o.table) })), { name: BIGQUERY_MANIFEST_FILE, text: bigQueryManifestFile(objects) }];
}

/**
 * What is wrong with the files present (name -> text) against what the schema
 * source generates: missing, stale or orphaned files, each with what to do.
 */
export function schemaFileProblems(expected: readonly GeneratedFile[], present: ReadonlyMap<string, string>): string[] {
  return fileProblems({ dir: BIGQUERY_SCHEMA_DIR, command: "npm run schemas", source: "the schema source", owner: "table" }, expected, present);
}

/**
 * `npm run schemas`: writes schemas/bigquery/<table>.json and the manifest
 * tables.json from the table specs (for Terraform and `bq mk`); a merged table
 * is a view over its __versions and __state tables, as the BigQuery sink makes it.
 */
if (require.main === module) {
  writeGeneratedFiles(process.argv.slice(2), "npm run schemas --", BIGQUERY_SCHEMA_DIR, generatedSchemaFiles(schemaSource())).catch((error) => exitWithError(error, () => false));
}
