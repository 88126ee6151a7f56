import { expect } from "chai";
import { copyFileSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { gzipSync } from "zlib";
import { contentPerformance, dataQualityMetrics, duckdbViewSql, bigQueryViewSql } from "../../schemas/views";
import { headerOf } from "../../transforms/catalog/imdb";
import { spawn } from "child_process";
import { writeCatalogSample } from "../../pipelines/catalog/local";
import { query, ROOT, runCli, runScript, summaryLine, tempDir, warehouseGrew } from "../helpers";

const BASICS = [
  headerOf("basics"),
  "title_001\ttvEpisode\tStranger Lights\tStranger Lights\t0\t2019\t\\N\t50\tSci-Fi",
  "title_002\ttvEpisode\tThe Crown Road\tThe Crown Road\t0\t2020\t\\N\t58\tDrama,History",
  "tt0000003\tmovie\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N",
  "tt0000004\tmovie\tLost Line\tLost Line\t0\t1999\t\\N\t90",
];
const RATINGS = [headerOf("ratings"), "title_001\t8.1\t1200", "tt0000003\tn/a\t4"];

const gz = (path: string, lines: readonly string[]): string => {
  writeFileSync(path, gzipSync(lines.map((l) => `${l}\n`).join("")));
  return path;
};

describe("catalog pipeline (CLI, DuckDB warehouse)", function () {
  this.timeout(120_000);
  const dir = tempDir();

  function ingest(warehouse: string, input = join(dir, "in", "title.*.tsv.gz")): string {
    const result = runCli(["catalog", "--input", input, "--warehouse", warehouse]);
    expect(result.status, result.stderr).to.equal(0);
    return result.stdout;
  }

  describe("change detection", () => {
    const warehouse = join(dir, "changes.duckdb");
    let first: string, second: string, third: string;

    before(() => {
      require("fs").mkdirSync(join(dir, "in"), { recursive: true });
      gz(join(dir, "in", "title.basics.tsv.gz"), BASICS);
      gz(join(dir, "in", "title.ratings.tsv.gz"), RATINGS);
      first = ingest(warehouse);
      second = ingest(warehouse);
      // One title renamed, one removed; ratings unchanged.
      gz(join(dir, "in", "title.basics.tsv.gz"), [BASICS[0], BASICS[1].replace("Stranger Lights\tStranger Lights", "Stranger Lights II\tStranger Lights"), BASICS[3], BASICS[4]]);
      third = ingest(warehouse);
    });

    it("types the rows and dead-letters the broken lines on the first run", async () => {
      expect(summaryLine(first, "title.basics.tsv.gz")).to.match(/4 lines -> 3 rows of title_basics \+ 1 dead letters/);
      expect(await query(warehouse, "SELECT tconst, primaryTitle, isAdult, startYear, runtimeMinutes, genres FROM title_basics ORDER BY tconst")).to.deep.equal([
        { tconst: "title_001", primaryTitle: "Stranger Lights II", isAdult: false, startYear: "2019", runtimeMinutes: "50", genres: ["Sci-Fi"] },
        { tconst: "tt0000003", primaryTitle: null, isAdult: null, startYear: null, runtimeMinutes: null, genres: [] },
      ]);
    });

    it("skips a file whose MD5 equals the last ingestion's, and logs it", async () => {
      expect(summaryLine(second, "title.basics.tsv.gz")).to.match(/^unchanged \(MD5 [0-9a-f]{12}\.\.\.\), skipped/);
      expect(summaryLine(second, "read")).to.match(/^0 lines/);
      const log = await query(warehouse, "SELECT file_name, skipped_unchanged, rows_read, rows_stored, rows_dead_lettered, md5, size_bytes FROM ingestion_log ORDER BY started_at, file_name");
      expect(log.map((r) => `${r.file_name} ${r.skipped_unchanged} ${r.rows_read} ${r.rows_stored} ${r.rows_dead_lettered}`)).to.deep.equal([
        "title.basics.tsv.gz false 4 3 1",
        "title.ratings.tsv.gz false 2 1 1",
        "title.basics.tsv.gz true 0 0 0",
        "title.ratings.tsv.gz true 0 0 0",
        "title.basics.tsv.gz false 3 2 1",
        "title.ratings.tsv.gz true 0 0 0",
      ]);
      expect(log[0].md5).to.equal(log[2].md5).and.match(/^[0-9a-f]{32}$/);
      expect(log[4].md5).to.not.equal(log[0].md5);
      expect(Number(log[4].size_bytes)).to.equal(readFileSync(join(dir, "in", "title.basics.tsv.gz")).length);
    });

    it("replaces a changed file's rows: the renamed title is renamed, the removed one is gone, the unchanged table is kept", async () => {
      expect(await query(warehouse, "SELECT count(*) AS n FROM title_basics WHERE tconst = 'title_002'")).to.deep.equal([{ n: "0" }]);
      expect(await query(warehouse, "SELECT tconst, averageRating, numVotes FROM title_ratings")).to.deep.equal([{ tconst: "title_001", averageRating: 8.1, numVotes: "1200" }]);
    });
  });

  it("after a run that could not finish a changed file, the next run leaves the tables as one clean run does", async () => {
    const warehouse = join(dir, "crash.duckdb"), clean = join(dir, "clean.duckdb");
    const input = join(dir, "crash");
    require("fs").mkdirSync(input, { recursive: true });
    gz(join(input, "title.ratings.tsv.gz"), RATINGS);
    ingest(warehouse, join(input, "title.*.tsv.gz"));
    // The basics file arrives truncated (a download cut short): its first lines are committed, the file is not logged.
    const whole = gzipSync(BASICS.map((l) => `${l}\n`).join("").repeat(1) + Array.from({ length: 20000 }, (_, i) => `tt${1_000_000 + i}\tmovie\tT${i}\tT${i}\t0\t2000\t\\N\t90\tDrama\n`).join(""));
    writeFileSync(join(input, "title.basics.tsv.gz"), whole.subarray(0, whole.length - 5000));
    const cut = runCli(["catalog", "--input", join(input, "title.*.tsv.gz"), "--warehouse", warehouse]);
    expect(cut.status, cut.stdout).to.equal(1);
    expect(await query(warehouse, "SELECT count(*) AS n FROM ingestion_log WHERE file_name = 'title.basics.tsv.gz'")).to.deep.equal([{ n: "0" }]);
    // The whole file arrives: re-run, and compare with a warehouse that only ever saw the whole file.
    writeFileSync(join(input, "title.basics.tsv.gz"), whole);
    ingest(warehouse, join(input, "title.*.tsv.gz"));
    ingest(clean, join(input, "title.*.tsv.gz"));
    const tables = "SELECT * EXCLUDE (run_date) FROM title_basics ORDER BY tconst";
    expect(await query(warehouse, tables)).to.deep.equal(await query(clean, tables));
    expect(await query(warehouse, "SELECT count(*) AS n FROM title_basics")).to.deep.equal([{ n: "20003" }]);
  });

  it("after kill -9 in the middle of a changed file, the next run leaves the tables as one clean run does", async () => {
    const input = join(dir, "killed");
    await writeCatalogSample(3, 200_000, input);
    const warehouse = join(dir, "killed.duckdb"), clean = join(dir, "killed-clean.duckdb");
    const child = spawn(process.execPath, [join(ROOT, "dist", "cli", "main.js"), "catalog", "--input", join(input, "title.*.tsv"), "--warehouse", warehouse], { stdio: "ignore" });
    // Killed once a commit is being written or is in (the file is four commits of 50,000 rows), whatever the machine's speed.
    const grew = warehouseGrew(warehouse);
    const poll = setInterval(() => grew() && child.kill("SIGKILL"), 20);
    const ended = await new Promise<string | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    clearInterval(poll);
    expect(ended, "the run ended before it was killed: make the file larger").to.equal("SIGKILL");
    ingest(warehouse, join(input, "title.*.tsv"));
    ingest(clean, join(input, "title.*.tsv"));
    // Whole tables, compared by a digest of every column but the ingestion date.
    for (const table of ["title_basics", "title_ratings"]) {
      const sql = `SELECT count(*) AS n, bit_xor(hash(*COLUMNS(* EXCLUDE (run_date)))) AS digest FROM ${table}`;
      expect(await query(warehouse, sql)).to.deep.equal(await query(clean, sql));
    }
  });

  describe("the views", () => {
    const warehouse = join(dir, "views.duckdb");
    before(() => {
      const input = join(dir, "views");
      require("fs").mkdirSync(input, { recursive: true });
      gz(join(input, "title.basics.tsv.gz"), BASICS);
      gz(join(input, "title.ratings.tsv.gz"), RATINGS);
      ingest(warehouse, join(input, "title.*.tsv.gz"));
    });

    it("content_performance gives every title with its rating, null when it has none", async () => {
      expect(await query(warehouse, "SELECT * FROM content_performance ORDER BY tconst")).to.deep.equal([
        { tconst: "title_001", primaryTitle: "Stranger Lights", titleType: "tvEpisode", startYear: "2019", averageRating: 8.1, numVotes: "1200", genres: ["Sci-Fi"] },
        { tconst: "title_002", primaryTitle: "The Crown Road", titleType: "tvEpisode", startYear: "2020", averageRating: null, numVotes: null, genres: ["Drama", "History"] },
        { tconst: "tt0000003", primaryTitle: null, titleType: "movie", startYear: null, averageRating: null, numVotes: null, genres: [] },
      ]);
    });

    it("data_quality_metrics counts rows, missing titles and missing genres per table, as a query over the tables does", async () => {
      const metrics = await query(warehouse, "SELECT * FROM data_quality_metrics ORDER BY table_name");
      expect(metrics).to.deep.equal([
        { table_name: "title_basics", row_count: "3", missing_titles: "1", missing_genres: "1" },
        { table_name: "title_ratings", row_count: "1", missing_titles: "0", missing_genres: "0" },
      ]);
      const direct = await query(warehouse, "SELECT (SELECT count(*) FROM title_basics WHERE primaryTitle IS NULL) AS t, (SELECT count(*) FROM title_basics WHERE len(genres) = 0) AS g");
      expect([metrics[0].missing_titles, metrics[0].missing_genres]).to.deep.equal([direct[0].t, direct[0].g]);
    });

    it("BigQuery's query text is DuckDB's with the tables named project.dataset.table, and gives the same rows on DuckDB", async () => {
      for (const view of [contentPerformance, dataQualityMetrics]) {
        const bigQuery = bigQueryViewSql(view, "my-proj", "analytics");
        expect(bigQuery).to.include("`my-proj.analytics.title_basics`");
        const unqualified = bigQuery.replace(/`my-proj\.analytics\.([a-z_]+)`/g, "$1");
        expect(unqualified).to.equal(duckdbViewSql(view));
        expect(await query(warehouse, `${unqualified} ORDER BY 1`)).to.deep.equal(await query(warehouse, `SELECT * FROM ${view.name} ORDER BY 1`));
      }
    });
  });

  it("without --input ingests its sample, whose titles the OTT sample's events name, and skips it on the second run", async () => {
    const warehouse = join(dir, "sample.duckdb");
    const first = runCli(["catalog", "--warehouse", warehouse, "--sampleTitles", "300"]);
    expect(first.status, first.stderr).to.equal(0);
    expect(summaryLine(first.stdout, "title.basics.tsv")).to.match(/rows of title_basics/);
    const second = runCli(["catalog", "--warehouse", warehouse, "--sampleTitles", "300"]);
    expect(summaryLine(second.stdout, "title.basics.tsv")).to.match(/^unchanged/);
    const ott = runCli(["ott", "--warehouse", warehouse, "--sampleMinutes", "1", "--sampleEps", "20"]);
    expect(ott.status, ott.stderr).to.equal(0);
    const unmatched = await query(warehouse, "SELECT count(*) AS n FROM (SELECT DISTINCT content_id FROM user_events) e ANTI JOIN title_basics t ON t.tconst = e.content_id");
    expect(unmatched).to.deep.equal([{ n: "0" }]);
  });

  it("detects changes in a JSONL output directory too: skips the unchanged file, replaces the changed one", () => {
    const input = join(dir, "jsonl-in"), out = join(dir, "jsonl-out");
    require("fs").mkdirSync(input, { recursive: true });
    gz(join(input, "title.basics.tsv.gz"), BASICS);
    gz(join(input, "title.ratings.tsv.gz"), RATINGS);
    const run = (): string => {
      const result = runCli(["catalog", "--input", join(input, "title.*.tsv.gz"), "--sink", "jsonl", "--outputDir", out]);
      expect(result.status, result.stderr).to.equal(0);
      return result.stdout;
    };
    run();
    gz(join(input, "title.basics.tsv.gz"), [BASICS[0], BASICS[2]]);
    const second = run();
    expect(summaryLine(second, "title.ratings.tsv.gz")).to.match(/^unchanged/);
    expect(summaryLine(second, "title.basics.tsv.gz")).to.match(/1 lines -> 1 rows of title_basics/);
    const rows = (table: string) => readFileSync(join(out, `${table}.jsonl`), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(rows("title_basics").map((r) => `${r.tconst} ${JSON.stringify(r.genres)}`)).to.deep.equal(['title_002 ["Drama","History"]']);
    expect(rows("title_ratings").map((r) => r.tconst)).to.deep.equal(["title_001"]);
    expect(rows("ingestion_log").map((r) => `${r.file_name} ${r.skipped_unchanged}`)).to.deep.equal([
      "title.basics.tsv.gz false", "title.ratings.tsv.gz false", "title.basics.tsv.gz false", "title.ratings.tsv.gz true",
    ]);
  });

  it("resources ensure --pipeline catalog creates its tables and views, without Pub/Sub", async () => {
    const warehouse = join(dir, "ensure.duckdb");
    const result = runScript("cli/resources.js", ["ensure", "--pipeline", "catalog", "--warehouse", warehouse]);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include("created  view content_performance").and.include("created  table ingestion_log");
    expect(await query(warehouse, "SELECT * FROM data_quality_metrics ORDER BY table_name")).to.deep.equal([
      { table_name: "title_basics", row_count: "0", missing_titles: "0", missing_genres: "0" },
      { table_name: "title_ratings", row_count: "0", missing_titles: "0", missing_genres: "0" },
    ]);
  });

  it("refuses a file it does not read, and two files of one table, with one line and exit 2", () => {
    const other = join(dir, "names.tsv");
    writeFileSync(other, "x\n");
    require("fs").mkdirSync(join(dir, "two"), { recursive: true });
    copyFileSync(other, join(dir, "two", "title.basics.tsv"));
    copyFileSync(other, join(dir, "two", "title.basics.tsv.gz"));
    for (const args of [["--input", other], ["--input", join(dir, "two", "title.basics.tsv*")]]) {
      const result = runCli(["catalog", ...args, "--warehouse", join(dir, "refused.duckdb")]);
      expect(result.status, result.stderr).to.equal(2);
      expect(result.stderr.trim().split("\n")).to.have.length(1);
    }
    const dataflow = runCli(["catalog", "--runner", "dataflow", "--project", "my-proj", "--region", "us-central1", "--tempLocation", "gs://my-bucket/temp", "--sdkContainerImage", "img"]);
    expect(dataflow.status).to.equal(2);
    expect(dataflow.stderr).to.match(/^error: catalog on --runner=dataflow needs --input: the files as gs:\/\/bucket\/path patterns/);
  });

  it("on portable runners: refuses DOCKER workers, a run without --input, a local --input on Dataflow, a gs:// --input elsewhere, and a flag of the other kind of job, with one line and exit 2", () => {
    const files = join(dir, "in", "title.*.tsv.gz");
    const dataflow = ["--runner", "dataflow", "--project", "my-proj", "--region", "us-central1", "--tempLocation", "gs://my-bucket/temp", "--sdkContainerImage", "img"];
    const refusals: [string[], RegExp][] = [
      [["catalog", "--runner", "universal", "--jobEndpoint", "localhost:8099", "--input", files], /^error: catalog on --runner=universal needs the workers in this process \(--environmentType=LOOPBACK/],
      [["catalog", "--runner", "flink", "--sink", "duckdb"], /^error: catalog on --runner=flink needs --input/],
      [["catalog", ...dataflow, "--input", files], /^error: --input must be a gs:\/\/bucket\/objects name or glob \(the job reads Cloud Storage\) on --runner=dataflow/],
      [["catalog", "--runner", "flink", "--input", "gs://my-bucket/imdb/title.*.tsv.gz"], /^error: --input gs:\/\/my-bucket\/imdb\/title\.\*\.tsv\.gz: the direct runner and LOOPBACK workers \(flink, universal\) read local files/],
      [["catalog", "--input", "gs://my-bucket/imdb/title.*.tsv.gz"], /^error: --input gs:\/\/my-bucket.*read local files; gs:\/\/ objects are read by the Dataflow job/],
      [["catalog", ...dataflow, "--input", "gs://my-bucket/imdb/title.*.tsv.gz", "--subscription", "s"], /^error: --subscription configures a streaming job; catalog on --runner=dataflow is a batch job/],
      [["alerts", "--runner", "flink", "--sink", "duckdb", "--input", files], /^error: --input configures a batch job; alerts on --runner=flink is a streaming job/],
      [["alerts", ...dataflow, "--input", "gs://my-bucket/events.jsonl"], /^error: --input configures a batch job; alerts on --runner=dataflow is a streaming job/],
    ];
    for (const [args, message] of refusals) {
      const result = runCli(args);
      expect(result.status, result.stderr).to.equal(2);
      expect(result.stderr.trim().split("\n"), result.stderr).to.have.length(1);
      expect(result.stderr).to.match(message);
    }
  });
});
