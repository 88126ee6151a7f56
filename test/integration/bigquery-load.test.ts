import { expect } from "chai";
import { writeFileSync } from "fs";
import { join } from "path";
import { Table } from "@google-cloud/bigquery";
import { bigQueryClient } from "../../io/bigquery/client";
import { LoadJobError, loadTable, WriteDisposition } from "../../io/bigquery/load";
import { DEFAULT_RETRY, REAL_CLOCK } from "../../io/bigquery/retry";
import { tableResource } from "../../io/bigquery/tables";
import { titleBasics } from "../../schemas/catalog";
import { tempDir } from "../helpers";
import { BigQueryServer } from "../support/bigquery-server";

const PROJECT = "load-project";
const DATASET = "load_dataset";
const RETRY = { ...DEFAULT_RETRY, maxAttempts: 2, initialDelayMs: 1 };

const row = (tconst: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  tconst,
  titleType: "movie",
  primaryTitle: `Title ${tconst}`,
  originalTitle: null,
  isAdult: false,
  startYear: 1999,
  endYear: null,
  runtimeMinutes: 90,
  genres: ["Drama"],
  run_date: "2026-11-26",
  ...extra,
});

/**
 * io/bigquery/load.ts against the local BigQuery server's load jobs: the
 * client library's multipart upload, jobs.get polled until DONE, the job's
 * errorResult as an error, and each refusal BigQuery documents for the rows
 * the catalog loads (a refused job loads nothing).
 */
describe("BigQuery load jobs (io/bigquery/load.ts, local BigQuery API server)", function () {
  this.timeout(30_000);
  const dir = tempDir();
  let server: BigQueryServer;
  let table: Table;

  beforeEach(async () => {
    server = new BigQueryServer();
    const endpoint = await server.start();
    const client = bigQueryClient({ project: PROJECT, endpoint });
    await client.createDataset(DATASET, { projectId: PROJECT });
    await client.dataset(DATASET, { projectId: PROJECT }).createTable(titleBasics.name, tableResource(titleBasics));
    table = client.dataset(DATASET, { projectId: PROJECT }).table(titleBasics.name);
  });
  afterEach(() => server.stop());

  let files = 0;
  const ndjson = (lines: readonly (Record<string, unknown> | string)[]): string => {
    const path = join(dir, `rows-${++files}.ndjson`);
    writeFileSync(path, lines.map((l) => `${typeof l === "string" ? l : JSON.stringify(l)}\n`).join(""));
    return path;
  };
  const load = (lines: readonly (Record<string, unknown> | string)[], disposition: WriteDisposition = "WRITE_APPEND"): Promise<number> =>
    loadTable(table, titleBasics, ndjson(lines), disposition, RETRY, REAL_CLOCK);
  const stored = (): unknown[] => server.rows(PROJECT, DATASET, titleBasics.name).map((r) => r.tconst);

  it("uploads NDJSON with the table's schema and partitioning, polls jobs.get until DONE, and returns the rows loaded", async () => {
    server.loadPolls = 2;
    expect(await load([row("tt1"), row("tt2")])).to.equal(2);
    const upload = server.requests.find((r) => r.path === `/upload/bigquery/v2/projects/${PROJECT}/jobs`)!;
    expect(upload.query.uploadType).to.equal("multipart");
    expect(upload.body.configuration.load).to.deep.include({ sourceFormat: "NEWLINE_DELIMITED_JSON", writeDisposition: "WRITE_APPEND", createDisposition: "CREATE_NEVER" });
    expect(upload.body.configuration.load.timePartitioning).to.deep.equal({ type: "DAY", field: "run_date" });
    const polls = server.requests.filter((r) => r.method === "GET" && r.path.includes("/jobs/"));
    expect(polls.length).to.be.at.least(3); // RUNNING, RUNNING, DONE
    expect(stored()).to.deep.equal(["tt1", "tt2"]);
  });

  it("WRITE_TRUNCATE replaces the table's rows whole; WRITE_APPEND adds to them", async () => {
    await load([row("tt1"), row("tt2")]);
    await load([row("tt3")]);
    expect(stored()).to.deep.equal(["tt1", "tt2", "tt3"]);
    await load([row("tt2")], "WRITE_TRUNCATE");
    expect(stored()).to.deep.equal(["tt2"]);
    expect(await load([], "WRITE_TRUNCATE")).to.equal(0);
    expect(stored()).to.deep.equal([]);
  });

  const refusals: [string, (Record<string, unknown> | string)[], RegExp][] = [
    ["an unknown field", [row("tt1", { rating: 5 })], /No such field: rating\./],
    ["a BOOLEAN given \"yes\"", [row("tt1", { isAdult: "yes" })], /Could not convert value 'string_value: "yes"' to boolean\. Field: isAdult/],
    ["a REPEATED column given a string", [row("tt1", { genres: "Drama" })], /Repeated field must be imported as a JSON array\. Field: genres/],
    ["a REPEATED column given null", [row("tt1", { genres: null })], /Only optional fields can be set to NULL\. Field: genres/],
    ["an array for a column that is not REPEATED", [row("tt1", { primaryTitle: ["a"] })], /Array specified for non-repeated field: primaryTitle/],
    ["a missing REQUIRED column", [row("tt1", { tconst: null })], /Missing required field: tconst/],
    ["an INTEGER given a fraction", [row("tt1", { startYear: 1999.5 })], /to integer\. Field: startYear/],
    ["a line that is not JSON", ['{"tconst": "tt1",'], /JSON parsing error in row starting at position [1-9]\d*: /],
  ];
  for (const [what, lines, message] of refusals) {
    it(`refuses a job with ${what}, and loads none of its rows`, async () => {
      await load([row("tt0")]);
      const error = await load([row("tt1"), ...lines, row("tt2")], "WRITE_TRUNCATE").catch((e: Error) => e);
      expect(error).to.be.instanceOf(LoadJobError);
      expect((error as Error).message).to.match(/JSON table encountered too many errors, giving up\. Rows: 3; errors: 1/);
      expect((error as Error).message).to.match(message);
      expect(stored()).to.deep.equal(["tt0"]);
    });
  }

  it("refuses a schema that does not match the table's under WRITE_APPEND, and a missing table under CREATE_NEVER", async () => {
    const changed = { ...titleBasics, fields: titleBasics.fields.map((f) => (f.name === "startYear" ? { ...f, type: "STRING" as const } : f)) };
    const error = await loadTable(table, changed, ndjson([row("tt1", { startYear: "1999" })]), "WRITE_APPEND", RETRY, REAL_CLOCK).catch((e: Error) => e);
    expect((error as Error).message).to.match(/Provided Schema does not match Table .*Field startYear has changed type from INTEGER to STRING/);
    const missing = table.dataset.table("title_missing");
    const gone = await loadTable(missing, { ...titleBasics, name: "title_missing" }, ndjson([row("tt1")]), "WRITE_TRUNCATE", RETRY, REAL_CLOCK).catch((e: Error) => e);
    expect((gone as Error).message).to.match(/Not found: Table load-project:load_dataset\.title_missing/);
  });

  it("retries an upload that failed with 503, with the same job id", async () => {
    server.inject((r) => r.path.startsWith("/upload/"), 1, { status: 503, reason: "backendError" });
    expect(await load([row("tt1")])).to.equal(1);
    const uploads = server.requests.filter((r) => r.path.startsWith("/upload/"));
    expect(uploads).to.have.length(2);
    expect(stored()).to.deep.equal(["tt1"]);
  });
});
