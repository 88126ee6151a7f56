import { expect } from "chai";
import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { gzipSync } from "zlib";
import { ENDPOINT_ENV } from "../../io/bigquery/client";
import { headerOf } from "../../transforms/catalog/imdb";
import { summaryLine, tempDir } from "../helpers";
import { BigQueryServer } from "../support/bigquery-server";
import { runCliAsync } from "../support/run-async";

const PROJECT = "catalog-project";
const DATASET = "catalog_dataset";

const BASICS = [
  headerOf("basics"),
  "title_001\ttvEpisode\tStranger Lights\tStranger Lights\t0\t2019\t\\N\t50\tSci-Fi",
  "title_002\ttvEpisode\tThe Crown Road\tThe Crown Road\t0\t2020\t\\N\t58\tDrama,History",
  "tt0000003\tmovie\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N",
  "tt0000004\tmovie\tLost Line\tLost Line\tyes\t1999\t\\N\t90\tDrama",
  "title_001\ttvEpisode\tRepeated\tRepeated\t0\t2019\t\\N\t50\tSci-Fi",
];
const RATINGS = [headerOf("ratings"), "title_001\t8.1\t1200", "tt0000003\tn/a\t4"];

const gz = (path: string, lines: readonly string[]): string => {
  writeFileSync(path, gzipSync(lines.map((l) => `${l}\n`).join("")));
  return path;
};

/**
 * The catalog with --sink=bigquery against the local BigQuery API server:
 * a changed file replaces its table in one WRITE_TRUNCATE load job, an
 * unchanged one is skipped (the last ingestion_log row, read back with a
 * query), dead letters and log rows are appended by load jobs, and a run
 * whose load fails logs nothing, so the next one reads the file again.
 */
describe("npm run pipeline -- catalog --sink=bigquery (load jobs, local BigQuery API server)", function () {
  this.timeout(120_000);
  const dir = tempDir();
  const input = join(dir, "in");
  let server: BigQueryServer;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    mkdirSync(input, { recursive: true });
    server = new BigQueryServer();
    env = { ...process.env };
    env[ENDPOINT_ENV] = await server.start();
  });
  after(() => server.stop());

  async function ingest(): Promise<string> {
    const run = await runCliAsync(["catalog", "--input", join(input, "title.*.tsv.gz"), "--sink=bigquery", "--project", PROJECT, "--dataset", DATASET], env);
    expect(run.status, run.stderr).to.equal(0);
    return run.stdout;
  }
  const rows = (table: string): Record<string, unknown>[] => server.rows(PROJECT, DATASET, table);
  const titles = (): unknown[] => rows("title_basics").map((r) => `${r.tconst}:${r.primaryTitle}`).sort();
  const loads = (table: string): string[] => server.loads(table).map((l) => l.configuration.load.writeDisposition);

  it("loads each table whole with WRITE_TRUNCATE, typed as IMDb documents, repeated tconst once, bad lines to dead_letter", async () => {
    gz(join(input, "title.basics.tsv.gz"), BASICS);
    gz(join(input, "title.ratings.tsv.gz"), RATINGS);
    const out = await ingest();
    expect(summaryLine(out, "title.basics.tsv.gz")).to.match(/5 lines -> 3 rows of title_basics \+ 1 dead letters/);
    expect(loads("title_basics")).to.deep.equal(["WRITE_TRUNCATE"]);
    expect(loads("title_ratings")).to.deep.equal(["WRITE_TRUNCATE"]);
    expect(loads("dead_letter")).to.deep.equal(["WRITE_APPEND"]);
    expect(loads("ingestion_log")).to.deep.equal(["WRITE_APPEND"]);
    expect(server.insertAlls("title_basics")).to.have.length(0);
    expect(rows("title_basics").find((r) => r.tconst === "tt0000003")).to.deep.include({ primaryTitle: null, isAdult: null, startYear: null, genres: [] });
    expect(rows("title_basics").find((r) => r.tconst === "title_002")).to.deep.include({ isAdult: false, startYear: 2020, genres: ["Drama", "History"] });
    expect(titles()).to.deep.equal(["title_001:Stranger Lights", "title_002:The Crown Road", "tt0000003:null"]);
    expect(rows("dead_letter").map((r) => r.reason_code).sort()).to.deep.equal(["bad_rating", "unknown_boolean"]);
    // The log is loaded after the tables: its rows say what they hold.
    const order = server.requests.filter((r) => r.path.startsWith("/upload/")).map((r) => r.body.configuration.load.destinationTable.tableId);
    expect(order[order.length - 1]).to.equal("ingestion_log");
    expect(rows("ingestion_log").map((r) => [r.file_name, r.skipped_unchanged, r.rows_read, r.rows_stored, r.rows_dead_lettered])).to.deep.equal([
      ["title.basics.tsv.gz", false, 5, 3, 1],
      ["title.ratings.tsv.gz", false, 2, 1, 1],
    ]);
  });

  it("skips unchanged files (nothing loaded but their log rows), then replaces a changed table: a removed title disappears, a renamed one changes", async () => {
    const second = await ingest();
    expect(summaryLine(second, "title.basics.tsv.gz")).to.match(/^unchanged \(MD5 [0-9a-f]{12}\.\.\.\), skipped/);
    expect(loads("title_basics")).to.have.length(1);
    expect(rows("ingestion_log").filter((r) => r.skipped_unchanged)).to.have.length(2);
    gz(join(input, "title.basics.tsv.gz"), [BASICS[0], BASICS[1].replace("Stranger Lights\tStranger", "Stranger Lights II\tStranger"), BASICS[3]]);
    const third = await ingest();
    expect(summaryLine(third, "title.ratings.tsv.gz")).to.match(/^unchanged/);
    expect(loads("title_basics")).to.deep.equal(["WRITE_TRUNCATE", "WRITE_TRUNCATE"]);
    expect(loads("title_ratings")).to.have.length(1);
    expect(titles()).to.deep.equal(["title_001:Stranger Lights II", "tt0000003:null"]);
    expect(rows("title_ratings").map((r) => r.tconst)).to.deep.equal(["title_001"]);
    // The first run's dead letters are kept: dead_letter is only ever appended to.
    expect(rows("dead_letter")).to.have.length(2);
  });

  it("a refused load leaves the table as it was and logs nothing (exit 1): the next run reads the file again", async () => {
    gz(join(input, "title.basics.tsv.gz"), BASICS.slice(0, 3));
    server.inject((r) => r.path.startsWith("/upload/") && r.raw.includes('"tableId":"title_basics"'), 1, { status: 400, reason: "invalid", message: "refused for the test" });
    const logged = rows("ingestion_log").length;
    const failed = await runCliAsync(["catalog", "--input", join(input, "title.*.tsv.gz"), "--sink=bigquery", "--project", PROJECT, "--dataset", DATASET], env);
    expect(failed.status).to.equal(1);
    expect(failed.stderr).to.match(/title_basics.*refused for the test/);
    expect(rows("ingestion_log")).to.have.length(logged);
    expect(titles()).to.deep.equal(["title_001:Stranger Lights II", "tt0000003:null"]);
    const again = await ingest();
    expect(summaryLine(again, "title.basics.tsv.gz")).to.match(/2 lines -> 2 rows of title_basics/);
    expect(titles()).to.deep.equal(["title_001:Stranger Lights", "title_002:The Crown Road"]);
  });
});
