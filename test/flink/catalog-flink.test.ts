import { expect } from "chai";
import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { gzipSync } from "zlib";
import { installServices } from "../../runners/portable/beam-services";
import { catalogPipeline } from "../../pipelines/catalog/pipeline";
import { catalogLines } from "../../samples/catalog";
import { ENDPOINT_ENV } from "../../io/bigquery/client";
import { query, runCli, summaryLine, tempDir } from "../helpers";
import { BigQueryServer } from "../support/bigquery-server";
import { runCliAsync } from "../support/run-async";

/** Columns that say when a run read a file, not what the file says. */
const RUN_TIME = new Set(["received_at", "run_date", "ingestion_id", "file_path", "started_at", "finished_at"]);

/**
 * The catalog as a batch job on a real runner: Beam's Flink job server
 * (embedded Flink) with the TypeScript workers in the command's process
 * (LOOPBACK), reading local files in a DoFn, into a DuckDB warehouse. One
 * semantics: every table, ingestion_log included, equals the direct
 * runner's for the same files, through a first run, an unchanged re-run
 * (skipped) and a changed file (its table replaced).
 */
describe("Flink runner: the catalog as a batch job, the same tables as the direct runner", function () {
  this.timeout(600_000);
  const dir = tempDir();
  const input = join(dir, "in");
  const warehouses = { direct: join(dir, "direct.duckdb"), flink: join(dir, "flink.duckdb") };

  before(() => {
    installServices((line) => console.log(`    ${line}`));
    mkdirSync(input, { recursive: true });
  });

  /** The generated sample in IMDb's layout, with its `\N`s and broken lines. */
  const lines = { basics: [] as string[], ratings: [] as string[] };
  for (const { file, line } of catalogLines({ seed: 5, titles: 3000 })) lines[file].push(line);
  const tconstOf = (line: string): string => line.split("\t")[0];
  /** A title.basics line with another primaryTitle. */
  const withTitle = (line: string, title: string): string => line.split("\t").map((f, i) => (i === 2 ? title : f)).join("\t");

  /** The sample with a repeated tconst and a bad boolean (changed by `change`), gzipped. */
  function writeFiles(change: (basics: string[]) => string[] = (b) => b): void {
    const basics = change([...lines.basics, withTitle(lines.basics[1], "Repeated"), `tt9999999\tmovie\tX\tX\tyes\t2000\t\\N\t1\tDrama`]);
    writeFileSync(join(input, "title.basics.tsv.gz"), gzipSync(`${basics.join("\n")}\n`));
    writeFileSync(join(input, "title.ratings.tsv.gz"), gzipSync(`${lines.ratings.join("\n")}\n`));
  }

  function runOn(runner: "direct" | "flink"): string {
    const started = Date.now();
    const result = runCli(["catalog", "--runner", runner, "--input", join(input, "title.*.tsv.gz"), "--sink", "duckdb", "--warehouse", warehouses[runner]]);
    expect(result.status, `${result.stdout}\n${result.stderr}`).to.equal(0);
    if (runner === "flink") console.log(`      flink run: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return result.stdout;
  }

  /** Every table, rows in a canonical order, without the run-time columns; ingestion_log's rows of this run only. */
  async function tables(warehouse: string, runs: number): Promise<Record<string, Record<string, unknown>[]>> {
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const table of catalogPipeline.tables) {
      const columns = table.fields.filter((f) => !RUN_TIME.has(f.name)).map((f) => `"${f.name}"`);
      const latest = table.name === "ingestion_log" ? ` QUALIFY dense_rank() OVER (ORDER BY started_at) = ${runs}` : "";
      out[table.name] = await query(warehouse, `SELECT ${columns.join(", ")} FROM "${table.name}"${latest} ORDER BY ALL`);
    }
    return out;
  }

  async function expectSameTables(runs: number): Promise<Record<string, Record<string, unknown>[]>> {
    const direct = await tables(warehouses.direct, runs);
    const flink = await tables(warehouses.flink, runs);
    for (const table of Object.keys(direct)) expect(flink[table], table).to.deep.equal(direct[table]);
    return direct;
  }

  it("first run: typed titles, ratings, dead letters and log rows equal the direct runner's", async () => {
    writeFiles();
    runOn("direct");
    const flink = runOn("flink");
    expect(flink).to.match(/^catalog: ran on flink as job \S+, state DONE$/m);
    const rows = await expectSameTables(1);
    expect(rows.title_basics.length).to.be.greaterThan(2000);
    expect(rows.dead_letter.map((r) => r.reason_code)).to.include.members(["unknown_boolean", "bad_rating", "not_an_integer"]);
    expect(rows.ingestion_log.map((r) => r.skipped_unchanged)).to.deep.equal([false, false]);
  });

  it("an unchanged re-run skips both files on both runners (Flink submits no job)", async () => {
    expect(summaryLine(runOn("direct"), "title.basics.tsv.gz")).to.match(/^unchanged/);
    const flink = runOn("flink");
    expect(flink).to.match(/^catalog: ran on flink, state DONE$/m);
    expect(flink).to.match(/^ {2}title\.basics\.tsv\.gz: unchanged \(MD5 [0-9a-f]{12}\.\.\.\), skipped; title_basics kept$/m);
    const rows = await expectSameTables(2);
    expect(rows.ingestion_log.map((r) => r.skipped_unchanged)).to.deep.equal([true, true]);
  });

  it("a changed file replaces its table on both runners: a removed title is gone, a renamed one renamed", async () => {
    writeFiles((basics) => [basics[0], withTitle(basics[1], "Renamed"), ...basics.slice(3)]);
    runOn("direct");
    runOn("flink");
    const rows = await expectSameTables(3);
    expect(rows.ingestion_log.map((r) => `${r.file_name}:${r.skipped_unchanged}`)).to.deep.equal(["title.basics.tsv.gz:false", "title.ratings.tsv.gz:true"]);
    const titles = new Map(rows.title_basics.map((r) => [r.tconst, r.primaryTitle]));
    expect(titles.get(tconstOf(lines.basics[1]))).to.equal("Renamed");
    expect(titles.has(tconstOf(lines.basics[2]))).to.equal(false);
  });

  it("--sink bigquery on flink: this process replaces each table with a WRITE_TRUNCATE load job, the same titles as the DuckDB run", async () => {
    const server = new BigQueryServer();
    const env = { ...process.env };
    env[ENDPOINT_ENV] = await server.start();
    try {
      const run = await runCliAsync(["catalog", "--runner", "flink", "--input", join(input, "title.*.tsv.gz"), "--sink", "bigquery", "--project", "flink-project", "--dataset", "catalog"], env);
      expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
      expect(server.loads("title_basics").map((l) => l.configuration.load.writeDisposition)).to.deep.equal(["WRITE_TRUNCATE"]);
      const loaded = server.rows("flink-project", "catalog", "title_basics").map((r) => `${r.tconst}:${r.primaryTitle}`).sort();
      const local = (await query(warehouses.flink, "SELECT tconst, primaryTitle FROM title_basics")).map((r) => `${r.tconst}:${r.primaryTitle}`).sort();
      expect(loaded).to.deep.equal(local);
      expect(server.rows("flink-project", "catalog", "ingestion_log").map((r) => r.skipped_unchanged)).to.deep.equal([false, false]);
    } finally {
      await server.stop();
    }
  });
});
