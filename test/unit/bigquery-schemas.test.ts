import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import { allTables, BIGQUERY_SCHEMA_DIR } from "../../cli/schemas";
import { bigQuerySchema, bigQuerySchemaFile } from "../../schemas/bigquery";
import { ROOT } from "../helpers";

describe("BigQuery schema files", () => {
  it("exist for every table and equal what the schema source generates (run `npm run schemas` when this fails)", () => {
    for (const table of allTables()) {
      const path = join(ROOT, BIGQUERY_SCHEMA_DIR, `${table.name}.json`);
      expect(existsSync(path), `${path} is missing: run npm run schemas`).to.equal(true);
      expect(readFileSync(path, "utf8"), `${path} is stale: run npm run schemas`).to.equal(bigQuerySchemaFile(table));
    }
    const files = readdirSync(join(ROOT, BIGQUERY_SCHEMA_DIR)).sort();
    expect(files, "a schema file without a table: remove it").to.deep.equal(allTables().map((t) => `${t.name}.json`).sort());
  });

  it("maps types as BigQuery spells them: UUID ids are STRING", () => {
    const deadLetter = allTables().find((t) => t.name === "dead_letter")!;
    const fields = bigQuerySchema(deadLetter);
    expect(fields[0]).to.deep.include({ name: "dead_letter_id", type: "STRING", mode: "REQUIRED" });
    expect(fields.find((f) => f.name === "received_at")!.type).to.equal("TIMESTAMP");
    expect(fields.find((f) => f.name === "run_date")!.type).to.equal("DATE");
  });
});
