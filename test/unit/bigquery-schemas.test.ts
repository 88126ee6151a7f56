import { expect } from "chai";
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { allTables, BIGQUERY_SCHEMA_DIR, generatedSchemaFiles, schemaFileProblems } from "../../cli/schemas";
import { BIGQUERY_MANIFEST_FILE, bigQueryManifest, bigQuerySchema } from "../../schemas/bigquery";
import { ROOT } from "../helpers";

describe("BigQuery schema files", () => {
  it("exist for every table, with the manifest, and equal what the schema source generates (run `npm run schemas` when this fails)", () => {
    const dir = join(ROOT, BIGQUERY_SCHEMA_DIR);
    const present = new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), "utf8")]));
    expect(schemaFileProblems(generatedSchemaFiles(allTables()), present)).to.deep.equal([]);
  });

  it("a column renamed in the code makes its schema file and the manifest stale, with what to run", () => {
    const tables = allTables();
    const present = new Map(generatedSchemaFiles(tables).map((f) => [f.name, f.text]));
    const alerts = tables.find((t) => t.name === "video_playback_alerts")!;
    const renamed = { ...alerts, fields: alerts.fields.map((f) => (f.name === "city" ? { ...f, name: "city_name" } : f)), clustering: ["city_name", "isp"] };
    const problems = schemaFileProblems(generatedSchemaFiles(tables.map((t) => (t === alerts ? renamed : t))), present);
    expect(problems).to.deep.equal([
      `${join(BIGQUERY_SCHEMA_DIR, "video_playback_alerts.json")} is stale (the schema source changed): run npm run schemas`,
      `${join(BIGQUERY_SCHEMA_DIR, BIGQUERY_MANIFEST_FILE)} is stale (the schema source changed): run npm run schemas`,
    ]);
  });

  it("a table added or removed in the code is reported as a missing or orphaned file", () => {
    const tables = allTables();
    const present = new Map(generatedSchemaFiles(tables.slice(1)).map((f) => [f.name, f.text]));
    const missing = schemaFileProblems(generatedSchemaFiles(tables), present);
    expect(missing[0]).to.equal(`${join(BIGQUERY_SCHEMA_DIR, `${tables[0].name}.json`)} is missing: run npm run schemas`);
    const orphaned = schemaFileProblems(generatedSchemaFiles(tables.slice(2)), present);
    expect(orphaned).to.include(`${join(BIGQUERY_SCHEMA_DIR, `${tables[1].name}.json`)} belongs to no table: remove it (or run npm run schemas after restoring its table)`);
  });

  it("the manifest describes each table as BigQuery accepts it: a DATE partition column, at most four top-level clustering columns, key columns that exist", () => {
    for (const entry of bigQueryManifest(allTables())) {
      const fields = new Map(allTables().find((t) => t.name === entry.name)!.fields.map((f) => [f.name, f]));
      expect(fields.get(entry.partitionField)?.type, `${entry.name}.${entry.partitionField}`).to.equal("DATE");
      expect(entry.clustering.length, entry.name).to.be.within(1, 4);
      for (const column of [...entry.clustering, ...entry.primaryKey]) expect(fields.has(column), `${entry.name}.${column}`).to.equal(true);
      expect(entry.schemaFile).to.equal(`${entry.name}.json`);
    }
  });

  it("refuses a table whose schema file would overwrite the manifest", () => {
    const clash = { ...allTables()[0], name: "tables" };
    expect(() => generatedSchemaFiles([clash])).to.throw("rename the table");
  });

  it("maps types as BigQuery spells them: UUID ids are STRING", () => {
    const deadLetter = allTables().find((t) => t.name === "dead_letter")!;
    const fields = bigQuerySchema(deadLetter);
    expect(fields[0]).to.deep.include({ name: "dead_letter_id", type: "STRING", mode: "REQUIRED" });
    expect(fields.find((f) => f.name === "received_at")!.type).to.equal("TIMESTAMP");
    expect(fields.find((f) => f.name === "run_date")!.type).to.equal("DATE");
  });
});
