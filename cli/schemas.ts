#!/usr/bin/env node
import { mkdir, writeFile } from "fs/promises";
import { join } from "path";
import { PIPELINES } from "../pipelines/registry";
import { bigQuerySchemaFile } from "../schemas/bigquery";
import { TableSpec } from "../schemas/table";
import { exitWithError } from "./errors";

/** Where the generated BigQuery schema files live, from the repository root. */
export const BIGQUERY_SCHEMA_DIR = join("schemas", "bigquery");

/** Every table any pipeline writes, once each, by name. */
export function allTables(): TableSpec[] {
  const tables = new Map<string, TableSpec>();
  for (const pipeline of Object.values(PIPELINES)) for (const table of pipeline.tables) tables.set(table.name, table);
  return [...tables.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** `npm run schemas`: writes schemas/bigquery/<table>.json from the table specs (for Terraform and `bq mk`). */
async function main(): Promise<void> {
  const root = join(__dirname, "..", "..");
  await mkdir(join(root, BIGQUERY_SCHEMA_DIR), { recursive: true });
  for (const table of allTables()) {
    const path = join(BIGQUERY_SCHEMA_DIR, `${table.name}.json`);
    await writeFile(join(root, path), bigQuerySchemaFile(table));
    process.stdout.write(`wrote ${path}\n`);
  }
}

if (require.main === module) main().catch((error) => exitWithError(error, () => false));
