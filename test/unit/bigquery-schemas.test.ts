import { expect } from "chai";
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { allTables, BIGQUERY_SCHEMA_DIR, bigQueryObjects, generatedSchemaFiles, mergedTableNames, schemaFileProblems, schemaSource } from "../../cli/schemas";
import { stateTable, versionsTable, viewResource } from "../../io/bigquery/tables";
import { PIPELINES } from "../../pipelines/registry";
import { BIGQUERY_MANIFEST_FILE, bigQueryManifest, BigQueryManifestEntry, bigQuerySchema, bigQuerySchemaFile, VIEW_PLACEHOLDERS } from "../../schemas/bigquery";
import { TableSpec } from "../../schemas/table";
import { ROOT } from "../helpers";

/** The files generated from these tables, with the code's merged tables among them merged. */
const filesOf = (tables: readonly TableSpec[]) => generatedSchemaFiles(bigQueryObjects(tables, mergedTableNames()));

/** A view query of the manifest with its placeholders replaced, as Terraform does (terraform/schemas.tf). */
const deployed = (query: string, project: string, dataset: string): string => query.split(VIEW_PLACEHOLDERS.project).join(project).split(VIEW_PLACEHOLDERS.dataset).join(dataset);

describe("BigQuery schema files", () => {
  it("exist for every table, with the manifest, and equal what the schema source generates (run `npm run schemas` when this fails)", () => {
    const dir = join(ROOT, BIGQUERY_SCHEMA_DIR);
    const present = new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), "utf8")]));
    expect(schemaFileProblems(generatedSchemaFiles(schemaSource()), present)).to.deep.equal([]);
  });

  it("a column renamed in the code makes its schema file and the manifest stale, with what to run", () => {
    const tables = allTables();
    const present = new Map(filesOf(tables).map((f) => [f.name, f.text]));
    const alerts = tables.find((t) => t.name === "video_playback_alerts")!;
    const renamed = { ...alerts, fields: alerts.fields.map((f) => (f.name === "city" ? { ...f, name: "city_name" } : f)), clustering: ["city_name", "isp"] };
    const problems = schemaFileProblems(filesOf(tables.map((t) => (t === alerts ? renamed : t))), present);
    expect(problems).to.deep.equal([
      `${join(BIGQUERY_SCHEMA_DIR, "video_playback_alerts.json")} is stale (the schema source changed): run npm run schemas`,
      `${join(BIGQUERY_SCHEMA_DIR, BIGQUERY_MANIFEST_FILE)} is stale (the schema source changed): run npm run schemas`,
    ]);
  });

  it("a table added or removed in the code is reported as a missing or orphaned file", () => {
    const tables = allTables();
    const present = new Map(filesOf(tables.slice(1)).map((f) => [f.name, f.text]));
    const missing = schemaFileProblems(filesOf(tables), present);
    expect(missing[0]).to.equal(`${join(BIGQUERY_SCHEMA_DIR, `${tables[0].name}.json`)} is missing: run npm run schemas`);
    const orphaned = schemaFileProblems(filesOf(tables.slice(2)), present);
    expect(orphaned).to.include(`${join(BIGQUERY_SCHEMA_DIR, `${tables[1].name}.json`)} belongs to no table: remove it (or run npm run schemas after restoring its table)`);
  });

  it("the manifest describes each table as BigQuery accepts it: a DATE partition column, at most four top-level clustering columns, key columns that exist", () => {
    const objects = schemaSource();
    bigQueryManifest(objects).forEach((entry, i) => {
      expect(entry.schemaFile).to.equal(`${entry.name}.json`);
      if (entry.kind !== "table") return;
      const fields = new Map(objects[i].table.fields.map((f) => [f.name, f]));
      expect(fields.get(entry.partitionField)?.type, `${entry.name}.${entry.partitionField}`).to.equal("DATE");
      expect(entry.clustering.length, entry.name).to.be.within(1, 4);
      for (const column of [...entry.clustering, ...entry.primaryKey]) expect(fields.has(column), `${entry.name}.${column}`).to.equal(true);
    });
  });

  it("the merged tables are the pipelines' merges, each one of its pipeline's tables", () => {
    const merged = mergedTableNames();
    expect(merged.size).to.be.greaterThan(0);
    for (const pipeline of Object.values(PIPELINES)) {
      const names = pipeline.tables.map((t) => t.name);
      for (const name of pipeline.merges?.keys() ?? []) {
        expect(names, `${pipeline.name} merges ${name}`).to.include(name);
        expect(merged.has(name)).to.equal(true);
      }
    }
  });

  it("a merged table is in the manifest as the BigQuery sink stores it: a view with the sink's query over its __versions and __state tables", () => {
    const entries = new Map<string, BigQueryManifestEntry>(bigQueryManifest(schemaSource()).map((e) => [e.name, e]));
    const files = new Map(generatedSchemaFiles(schemaSource()).map((f) => [f.name, f.text]));
    for (const table of allTables().filter((t) => mergedTableNames().has(t.name))) {
      const view = entries.get(table.name);
      expect(view?.kind, table.name).to.equal("view");
      const sinkView = viewResource("p", "d", table) as { description: string; view: { query: string } };
      expect(deployed((view as { query: string }).query, "p", "d"), table.name).to.equal(sinkView.view.query);
      expect(view!.description).to.equal(sinkView.description);
      for (const spec of [versionsTable(table), stateTable(table)]) {
        expect(entries.get(spec.name), spec.name).to.deep.include({ kind: "table", partitionField: spec.partitionField, clustering: [...spec.clustering], primaryKey: [...spec.key] });
        expect(files.get(`${spec.name}.json`), spec.name).to.equal(bigQuerySchemaFile(spec));
      }
    }
    const plain = allTables().filter((t) => !mergedTableNames().has(t.name));
    expect(plain.map((t) => entries.get(t.name)?.kind)).to.deep.equal(plain.map(() => "table"));
  });

  it("refuses a plain table named like a merged table's __versions or __state table", () => {
    const merged = allTables().find((t) => mergedTableNames().has(t.name))!;
    const clash = { ...allTables()[0], name: stateTable(merged).name };
    expect(() => bigQueryObjects([merged, clash], mergedTableNames())).to.throw("rename the table");
  });

  it("refuses a table whose schema file would overwrite the manifest", () => {
    const clash = { ...allTables()[0], name: "tables" };
    expect(() => filesOf([clash])).to.throw("rename the table");
  });

  it("maps types as BigQuery spells them: UUID ids are STRING", () => {
    const deadLetter = allTables().find((t) => t.name === "dead_letter")!;
    const fields = bigQuerySchema(deadLetter);
    expect(fields[0]).to.deep.include({ name: "dead_letter_id", type: "STRING", mode: "REQUIRED" });
    expect(fields.find((f) => f.name === "received_at")!.type).to.equal("TIMESTAMP");
    expect(fields.find((f) => f.name === "run_date")!.type).to.equal("DATE");
  });
});
