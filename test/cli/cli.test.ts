import { expect } from "chai";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { gzipSync } from "zlib";
import { join } from "path";
import { DuckDBInstance } from "@duckdb/node-api";
import { PlaybackGenerator } from "../../samples/playback";
import { ConversationGenerator } from "../../samples/conversations";
import { PIPELINES } from "../../pipelines/registry";
import { spawnSync } from "child_process";
import { query, ROOT, runCli, runScript, summaryLine, tempDir, writeLines } from "../helpers";

function expectUsageError(args: string[], message: RegExp): void {
  const run = runCli(args);
  expect(run.status, `${args.join(" ")}: ${run.stderr}`).to.equal(2);
  const lines = run.stderr.trim().split("\n");
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^error: /);
  expect(lines[0]).to.match(message);
  expect(run.stdout).to.equal("");
}

describe("pipeline CLI", () => {
  const dir = tempDir();

  describe("stops on a bad command line with one line and exit code 2", () => {
    const cases: [string[], RegExp][] = [
      [["--runner", "universal", "--jobEndpoint", "127.0.0.1:1"], /name the pipeline to submit to --runner=universal: alerts, conversations, ott/],
      [["--input", "x.jsonl"], /--input is one pipeline's input: name the pipeline/],
      [["--source", "pubsub", "--streaming"], /--streaming runs until stopped: name the pipeline/],
      [["nosuch"], /unknown pipeline: nosuch \(pipelines: alerts, conversations, ott, catalog\)/],
      [["alerts", "--bogus"], /Unknown argument: bogus/],
      [["alerts", "extra"], /Unknown argument: extra/],
      [["alerts", "--bufferThresholdMs", "abc"], /--bufferThresholdMs must be a number, got "abc"/],
      [["alerts", "--bufferThresholdMs", "12.5"], /--bufferThresholdMs must be a whole number/],
      [["alerts", "--bufferThresholdMs", "-1"], /--bufferThresholdMs must be at least 0/],
      [["alerts", "--bufferThresholdMs"], /Not enough arguments following: bufferThresholdMs/],
      [["alerts", "--sink", "parquet"], /--sink must be one of duckdb, jsonl, stdout, bigquery, got "parquet"/],
      [["alerts", "--runner", "spark"], /--runner must be one of direct/],
      [["alerts", "--sink", "jsonl", "--sink", "stdout"], /--sink was given 2 times/],
      [["alerts", "--input", "/no/such/file.jsonl"], /--input: no such file: \/no\/such\/file.jsonl/],
      [["alerts", "--input", "/no/such/*.jsonl"], /--input: no files match/],
      [["alerts", "--sampleEvents", "0"], /--sampleEvents must be at least 1/],
      [["alerts", "--streaming"], /--streaming needs --source=pubsub/],
      [["alerts", "--streaming=yes"], /--streaming is a switch: give it alone, or =true \/ =false, got "yes"/],
      [["alerts", "--source", "pubsub", "--input", "x.jsonl"], /--input reads files; with --source=pubsub give --subscription/],
      [["alerts", "--subscription", "s"], /--subscription needs --source=pubsub/],
      [["alerts", "--sink", "jsonl", "--warehouse", "w.duckdb"], /--warehouse needs --sink=duckdb/],
      [["alerts", "--outputDir", "out"], /--outputDir needs --sink=jsonl/],
      [["alerts", "--sink", "jsonl", "--warehouseMemoryMb", "256"], /--warehouseMemoryMb needs --sink=duckdb/],
      [["alerts", "--warehouseMemoryMb", "8"], /--warehouseMemoryMb must be at least 16/],
      [["alerts", "--source", "kafka"], /--source must be one of file, pubsub/],
      [["alerts", "--source", "pubsub", "--maxBatch", "0"], /--maxBatch must be at least 1/],
      [["alerts", "--source", "pubsub", "--maxBatch", "9007199254740993"], /--maxBatch is too large: 9007199254740993 \(numbers must lie within ±9007199254740991\)/],
    ];
    for (const [args, message] of cases) {
      it(`npm run pipeline -- ${args.join(" ")}`, () => expectUsageError(args, message));
    }
  });

  it("refuses a --warehouse that is not a DuckDB file (an input file, an empty file, a directory), and an --outputDir that is a file, before anything runs", () => {
    const events = writeLines(join(dir, "events.jsonl"), ['{"event_id": 1}']);
    const empty = writeLines(join(dir, "empty.duckdb"), []);
    expectUsageError(["alerts", "--sampleEvents", "10", "--warehouse", events], /--warehouse .*events\.jsonl exists and is not a DuckDB file/);
    expectUsageError(["alerts", "--sampleEvents", "10", "--warehouse", empty], /--warehouse .*empty\.duckdb exists and is not a DuckDB file/);
    expectUsageError(["alerts", "--sampleEvents", "10", "--warehouse", dir], /--warehouse .* is a directory: give a DuckDB file/);
    expect(readFileSync(events, "utf8")).to.equal('{"event_id": 1}\n');
    expectUsageError(["alerts", "--sampleEvents", "10", "--sink", "jsonl", "--outputDir", events], /--outputDir .*events\.jsonl is a file: give a directory/);
    const resources = runScript("cli/resources.js", ["ensure", "--warehouse", events], { env: { ...process.env, PUBSUB_EMULATOR_HOST: "127.0.0.1:1" } });
    expect(resources.status).to.equal(2);
    expect(resources.stderr.trim().split("\n")).to.have.length(1);
    expect(resources.stderr).to.match(/not a DuckDB file/);
  });

  it("reads the other files of a glob past a damaged .gz, then names the file and the byte offset in one line, exit 1", async () => {
    const inputs = join(dir, "damaged");
    mkdirSync(inputs);
    const events = [...new PlaybackGenerator({ seed: 3 }).lines(2000)];
    const gz = gzipSync(events.join("\n") + "\n");
    writeFileSync(join(inputs, "a.jsonl.gz"), gz.subarray(0, gz.length - 100));
    writeLines(join(inputs, "b.jsonl"), events.slice(0, 10));
    const warehouse = join(dir, "damaged.duckdb");
    const run = runCli(["alerts", "--input", join(inputs, "*.jsonl*"), "--warehouse", warehouse]);
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr.trim().split("\n")).to.deep.equal([`error: ${join(inputs, "a.jsonl.gz")}: gzip data ends early, at byte ${gz.length - 100} (a truncated file); ${summaryLine(run.stdout, "not read").match(/(\d+) lines before/)![1]} lines before it were read`]);
    const stored = await query(warehouse, "SELECT count(DISTINCT event_id) AS n FROM video_playback_alerts");
    expect(Number(stored[0].n)).to.be.greaterThan(0);
    expect(summaryLine(run.stdout, "read")).to.match(/^[\d,]+ lines = [\d,]+ valid \+ 0 dead letters/);
  });

  it("refuses an input file it cannot read, in one line, exit 2, before anything runs", function () {
    const inputs = join(dir, "unreadable");
    mkdirSync(inputs, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const path = writeLines(join(inputs, "events.jsonl"), ['{"event_id": 1}']);
    chmodSync(path, 0o000);
    // root reads any file: run as nobody then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = spawnSync(process.execPath, [join(ROOT, "dist", "cli", "main.js"), "alerts", "--input", path, "--sink", "stdout"], { cwd: ROOT, encoding: "utf8", ...asUser });
    expect(run.status, run.stderr).to.equal(2);
    expect(run.stderr.trim().split("\n")).to.deep.equal([`error: --input ${path}: cannot be read (permission denied) (see --help)`]);
  });

  it("npm run query: one read-only statement; COPY ... TO and a second statement are refused in one line, exit 2", async () => {
    const warehouse = join(dir, "query.duckdb");
    expect(runCli(["alerts", "--sampleEvents", "10", "--warehouse", warehouse]).status).to.equal(0);
    const copied = join(dir, "copied.csv");
    const refused: [string, RegExp][] = [
      [`COPY (SELECT * FROM dead_letter) TO '${copied}'`, /^error: queries are read-only: COPY statements are refused/],
      ["SELECT 1; SELECT 2", /^error: give one SQL statement, got 2/],
    ];
    for (const [sql, message] of refused) {
      const run = runScript("cli/query.js", ["--warehouse", warehouse, sql]);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr.trim().split("\n")).to.have.length(1);
      expect(run.stderr).to.match(message);
    }
    expect(existsSync(copied)).to.equal(false);
    const counted = runScript("cli/query.js", ["--warehouse", warehouse, "SELECT count(*) AS n FROM video_playback_alerts"]);
    expect(counted.status, counted.stderr).to.equal(0);
    expect(counted.stdout).to.match(/^n\n-+\n\d+\n\(1 row\)\n$/);
  });

  it("ends quietly with exit 0 when stdout is closed early (| head)", () => {
    const run = spawnSync("sh", ["-c", `"${process.execPath}" dist/cli/main.js alerts --sink stdout --sampleEvents 50000 | head -1`], { cwd: ROOT, encoding: "utf8" });
    expect(JSON.parse(run.stdout).table).to.equal("video_playback_alerts");
    expect(run.stderr).to.not.match(/EPIPE|Error/);
  });

  it("--help lists the pipelines, every flag and examples", () => {
    const run = runCli(["--help"]);
    expect(run.status).to.equal(0);
    for (const text of ["alerts", "--runner", "--input", "--sink", "--warehouse", "--outputDir", "--seed", "--directNumWorkers", "Examples:"]) {
      expect(run.stdout).to.include(text);
    }
    const alertsHelp = runCli(["alerts", "--help"]).stdout;
    for (const text of ["--bufferThresholdMs", "--sampleEvents"]) expect(alertsHelp).to.include(text);
  });

  it("with no flags, runs alerts over the generated sample into ./.warehouse", async () => {
    const run = runCli(["alerts"], dir);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^alerts: done in /);
    expect(run.stdout).to.include("100,000 lines = 100,000 valid + 0 dead letters + 0 blank");
    expect(run.stdout).to.match(/top cities\s+Jakarta [\d,]+/);
    expect(run.stdout).to.include('npm run query -- "SELECT');
    const warehouse = join(dir, ".warehouse", "warehouse.duckdb");
    expect(existsSync(warehouse)).to.equal(true);
    const expected = [...new PlaybackGenerator({ seed: 42 }).lines(100_000)]
      .map((l) => JSON.parse(l))
      .filter((e) => e.event_type === "error" || e.buffer_duration_ms > 4000).length;
    const rows = await query(warehouse, "SELECT count(*) AS n FROM video_playback_alerts");
    expect(Number(rows[0].n)).to.equal(expected);
    expect(summaryLine(run.stdout, "video_playback_alerts")).to.equal(`${expected.toLocaleString("en-US")} rows stored`);
  });

  it("with no pipeline named (the quick start), runs every pipeline over its sample into ./.warehouse, one summary each", async () => {
    const cwd = join(dir, "quick-start");
    mkdirSync(cwd);
    const run = runCli(["--runner=direct"], cwd);
    expect(run.status, run.stderr).to.equal(0);
    const summaries = run.stdout.split(/\n(?=\S)/);
    expect(summaries.map((s) => s.split(":")[0])).to.deep.equal(Object.keys(PIPELINES));
    for (const summary of summaries) {
      expect(summary).to.match(/^\w+: done in /);
      expect(summaryLine(summary, "try")).to.match(/^npm run query -- "SELECT /);
    }
    const warehouse = join(cwd, ".warehouse", "warehouse.duckdb");
    for (const table of ["video_playback_alerts", "customer_courier_conversations", "user_events"]) {
      const rows = await query(warehouse, `SELECT count(*) AS n FROM ${table}`);
      expect(Number(rows[0].n), table).to.be.greaterThan(0);
    }
  });

  it("generates the same sample for the same seed, and another for another seed", async () => {
    const a = join(dir, "a.duckdb"), b = join(dir, "b.duckdb"), c = join(dir, "c.duckdb");
    for (const [w, seed] of [[a, "1"], [b, "1"], [c, "2"]]) {
      expect(runCli(["alerts", "--sampleEvents", "3000", "--seed", seed, "--warehouse", w]).status).to.equal(0);
    }
    const rows = (w: string) => query(w, "SELECT * FROM video_playback_alerts ORDER BY event_id");
    expect(await rows(a)).to.deep.equal(await rows(b));
    expect(await rows(a)).to.not.deep.equal(await rows(c));
  });

  it("says in one line, exit 1, that nothing listens at PUBSUB_EMULATOR_HOST", () => {
    const run = runCli(["alerts", "--source", "pubsub"], ROOT, { ...process.env, PUBSUB_EMULATOR_HOST: "127.0.0.1:1" });
    expect(run.status).to.equal(1);
    expect(run.stderr.trim().split("\n")).to.deep.equal(["error: nothing listens at 127.0.0.1:1 (PUBSUB_EMULATOR_HOST): start the emulator with npm run emulator"]);
  });

  it("refuses a warehouse whose table has other columns, in one line, exit 1", async () => {
    const warehouse = join(dir, "old.duckdb");
    const instance = await DuckDBInstance.create(warehouse);
    const connection = await instance.connect();
    await connection.run("CREATE TABLE video_playback_alerts (event_id BIGINT PRIMARY KEY, note VARCHAR)");
    connection.closeSync();
    instance.closeSync();
    const run = runCli(["alerts", "--sampleEvents", "10", "--warehouse", warehouse]);
    expect(run.status).to.equal(1);
    expect(run.stderr.trim().split("\n")).to.have.length(1);
    expect(run.stderr).to.match(/table video_playback_alerts in .* has columns \(event_id BIGINT, note VARCHAR\), expected \(event_id BIGINT, session_id BIGINT/);
  });

  it("rewrites a merged table that an earlier run left without a primary key, as it rewrites one with it", async () => {
    const lines = new ConversationGenerator({ seed: 7, conversations: 20 }).lines();
    const first = writeLines(join(dir, "chats-1.jsonl"), lines.slice(0, 40)), second = writeLines(join(dir, "chats-2.jsonl"), lines.slice(40));
    const table = "customer_courier_conversations";
    const run = async (warehouse: string, dropKey: boolean) => {
      expect(runCli(["conversations", "--input", first, "--warehouse", warehouse]).status).to.equal(0);
      if (dropKey) {
        const instance = await DuckDBInstance.create(warehouse);
        const connection = await instance.connect();
        // CREATE TABLE AS keeps the columns, not the key.
        await connection.run(`CREATE TABLE copied AS SELECT * FROM ${table}; DROP TABLE ${table}; ALTER TABLE copied RENAME TO ${table}`);
        connection.closeSync();
        instance.closeSync();
      }
      expect(runCli(["conversations", "--input", second, "--warehouse", warehouse]).status).to.equal(0);
      return query(warehouse, `SELECT * FROM ${table} ORDER BY order_id`);
    };
    const rows = await run(join(dir, "no-key.duckdb"), true);
    expect(rows).to.deep.equal(await run(join(dir, "keyed.duckdb"), false));
    expect(rows).to.have.length(20);
  });
});
