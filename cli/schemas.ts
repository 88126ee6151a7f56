#!/usr/bin/env node
import { mkdir, writeFile } from "fs/promises";
import { join } from "path";
import { PIPELINES } from "../pipelines/registry";
import { BIGQUERY_MANIFEST_FILE, bigQueryManifestFile, bigQuerySchemaFile, bigQuerySchemaFileName } from "../schemas/bigquery";
import { TableSpec } from "../schemas/table";
import { exitWithError } from "./errors";
import { fileProblems } from "./generated-files";

/** Where the generated BigQuery schema files live, from the repository root. */
export const BIGQUERY_SCHEMA_DIR = join("schemas", "bigquery");

/** Every table any pipeline writes, once each, by name. */
export function allTables(): TableSpec[] {
  const tables = new Map<string, TableSpec>();
  for (const pipeline of Object.values(PIPELINES)) for (const table of pipeline.tables) tables.set(table.name, table);
  return [...tables.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A file `npm run schemas` writes into BIGQUERY_SCHEMA_DIR: its name there and its text. */
export interface GeneratedFile {
  readonly name: string;
  readonly text: string;
}

/** Every file of BIGQUERY_SCHEMA_DIR: one schema per table, and the manifest of the tables (what Terraform reads). */
export function generatedSchemaFiles(tables: readonly TableSpec[]): GeneratedFile[] {
  const clash = tables.find((t) => bigQuerySchemaFileName(t) === BIGQUERY_MANIFEST_FILE);
  if (clash) throw new Error(`table ${clash.name} would overwrite the manifest ${BIGQUERY_MANIFEST_FILE}: rename the table`);
  return [...tables.map((t) => ({ name: bigQuerySchemaFileName(t), text: bigQuerySchemaFile(t) })), { name: BIGQUERY_MANIFEST_FILE, text: bigQueryManifestFile(tables) }];
}

/**
 * What is wrong with the files present (name -> text) against what the schema
 * source generates: missing, stale or orphaned files, each with what to do.
 */
export function schemaFileProblems(expected: readonly GeneratedFile[], present: ReadonlyMap<string, string>): string[] {
  return fileProblems({ dir: BIGQUERY_SCHEMA_DIR, command: "npm run schemas", source: "the schema source", owner: "table" }, expected, present);
}

/** `npm run schemas`: writes schemas/bigquery/<table>.json and the manifest tables.json from the table specs (for Terraform and `bq mk`). */
async function main(): Promise<void> {
  const root = join(__dirname, "..", "..");
  await mkdir(join(root, BIGQUERY_SCHEMA_DIR), { recursive: true });
  for (const file of generatedSchemaFiles(allTables())) {
    const path = join(BIGQUERY_SCHEMA_DIR, file.name);
    await writeFile(join(root, path), file.text);
    process.stdout.write(`wrote ${path}\n`);
  }
}

if (require.main === module) main().catch((error) => exitWithError(error, () => false));
