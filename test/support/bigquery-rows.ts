import { readFileSync } from "fs";
import { join } from "path";
import { PIPELINES } from "../../pipelines/registry";
import { mergedTables } from "../../runners/portable/rows";
import { BigQueryField } from "../../schemas/bigquery";
import { FieldSpec, Row, TableSpec } from "../../schemas/table";
import { ROOT } from "../helpers";

/** Every table a pipeline writes on a portable runner: each table, a merged one as its versions and state tables. */
export function portableTargets(): TableSpec[] {
  const out = new Map<string, TableSpec>();
  for (const definition of Object.values(PIPELINES)) {
    for (const t of definition.tables) for (const target of definition.merges?.has(t.name) ? Object.values(mergedTables(t)) : [t]) out.set(target.name, target);
  }
  return [...out.values()];
}

/** The table's columns as Terraform creates them (the schema file). */
export const columnsOf = (table: TableSpec): BigQueryField[] => JSON.parse(readFileSync(join(ROOT, "schemas", "bigquery", `${table.name}.json`), "utf8"));

/** A row of every column, with values that a 32-bit or text coding would lose: micros past 2^32, fractions, nulls. */
export function sampleRow(fields: readonly FieldSpec[], seed: number): Row {
  const row: Row = {};
  fields.forEach((f, i) => {
    if (f.mode === "NULLABLE" && (seed + i) % 3 === 0) row[f.name] = null;
    else if (f.type === "RECORD") row[f.name] = sampleRow(f.fields!, seed + i);
    else if (f.type === "TIMESTAMP") row[f.name] = 1_717_272_005_000_007 + seed * 1_000_003 + i;
    else if (f.type === "DATE") row[f.name] = 19_875 + i;
    else if (f.type === "INT64") row[f.name] = i % 2 === 0 ? 2 ** 40 + seed + i : -(seed + i);
    else if (f.type === "FLOAT64") row[f.name] = 35.5 + seed / 7 + i;
    else if (f.type === "BOOL") row[f.name] = (seed + i) % 2 === 0;
    else row[f.name] = `${f.name}-${seed}-é`;
  });
  return row;
}

