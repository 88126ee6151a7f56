import { expect } from "chai";
import { spawn } from "child_process";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { useEmulator } from "../support/emulator-suite";
import { installServices } from "../../runners/portable/beam-services";
import { PIPELINES } from "../../pipelines/registry";
import { SUBSCRIPTION_SETTINGS } from "../../io/pubsub/resources";
import { query, ROOT, runCli, runScript, tempDir, writeLines } from "../helpers";

/**
 * The three pipelines on a real runner: Beam's Flink job server (embedded
 * Flink 1.15) and Beam's Java expansion service, both from Maven Central
 * (`npm run beam-services`), the Pub/Sub read of Beam Java reading the real
 * emulator, the TypeScript workers in this test's child process (LOOPBACK).
 * Every table the Flink run writes must equal the direct runner's for the
 * same published events. Run by `npm run test:flink` (and .ci/run).
 *
 * A streaming job has no end: the test stops it (SIGTERM, which the command
 * answers by cancelling the job and writing what its workers captured) once
 * every plain table has at least the direct runner's row count and no row
 * came for QUIET_MS, so the merged tables' last panes are in.
 */
const QUIET_MS = 20_000;

const PROJECT = "runners-project";
const START = "2025-10-27T08:00:00Z";
/** Columns that say when a run read a record, not what the record says. */
const READ_TIME = new Set(["received_at", "run_date"]);

describe("Flink runner: the pipelines on Beam's Flink job server, reading the Pub/Sub emulator", function () {
  this.timeout(600_000);
  const dir = tempDir();
  const emu = useEmulator(PROJECT);
  before(() => {
    installServices((line) => console.log(`    ${line}`));
  });

  /** A topic with one subscription per runner, and the seeded events published to it. */
  async function published(name: string, kind: string, count: number, seed: number): Promise<void> {
    const topic = (await emu.pubsub.createTopic(name))[0];
    // The pipelines' own ack deadline: with the client's default (10 s) the emulator redelivers what Beam's read acknowledges only after a checkpoint.
    const settings = { ackDeadlineSeconds: SUBSCRIPTION_SETTINGS.ackDeadlineSeconds };
    await topic.createSubscription(`${name}-direct`, settings);
    await topic.createSubscription(`${name}-flink`, settings);
    const sent = runScript("publisher/cli.js", [kind, "--count", String(count), "--seed", String(seed), "--startTime", START, "--eps", "50000", "--topic", name, "--project", PROJECT], { env: emu.env });
    expect(sent.status, sent.stderr).to.equal(0);
  }

  /** A topic with one subscription per runner, and the given events published to it (a recording replayed at once). */
  async function publishedLines(name: string, lines: readonly string[]): Promise<void> {
    const topic = (await emu.pubsub.createTopic(name))[0];
    const settings = { ackDeadlineSeconds: SUBSCRIPTION_SETTINGS.ackDeadlineSeconds };
    await topic.createSubscription(`${name}-direct`, settings);
    await topic.createSubscription(`${name}-flink`, settings);
    const file = writeLines(join(dir, `${name}.jsonl`), lines);
    const sent = runScript("publisher/cli.js", ["ott", "--file", file, "--speedup", "1000000", "--topic", name, "--project", PROJECT], { env: emu.env });
    expect(sent.status, sent.stderr).to.equal(0);
  }

  /** Runs the CLI, parsing its "wrote <table> <n>, ..." lines; SIGTERM once `enough` says the rows are in and none came for QUIET_MS. */
  function runUntilWritten(args: string[], enough: (written: Map<string, number>) => boolean): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [join(ROOT, "dist", "cli", "main.js"), ...args], { env: emu.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", last = Date.now(), stopping = false;
    const written = new Map<string, number>();
    child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      for (const match of d.toString().matchAll(/ wrote (.*)$/gm)) {
        for (const part of match[1].split(", ")) {
          const words = part.split(" "); // no array destructuring: ts-closure-transform drops all but the first name
          written.set(words[0], (written.get(words[0]) ?? 0) + Number(words[1]));
        }
        last = Date.now();
      }
    });
    const timer = setInterval(() => {
      if (!stopping && enough(written) && Date.now() - last > QUIET_MS) {
        stopping = true;
        child.kill("SIGTERM");
      }
    }, 1000);
    return new Promise((resolve) => child.once("exit", (status) => (clearInterval(timer), resolve({ status: status, stdout: stdout, stderr: stderr }))));
  }

  /** The rows in each plain table of the pipeline that the warehouse holds (none in a table, or a warehouse, not made yet). */
  async function plainCounts(pipeline: string, warehouse: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const present = existsSync(warehouse) ? new Set((await query(warehouse, "SELECT table_name FROM information_schema.tables")).map((r) => r.table_name)) : new Set();
    for (const table of PIPELINES[pipeline].tables) {
      if (PIPELINES[pipeline].merges?.has(table.name)) continue;
      counts.set(table.name, present.has(table.name) ? Number((await query(warehouse, `SELECT count(*) AS n FROM "${table.name}"`))[0].n) : 0);
    }
    return counts;
  }

  /** Runs `pipeline` on the direct runner and on Flink, each from its own subscription, into its own warehouse. */
  async function runBoth(pipeline: string, name: string, flags: string[] = []): Promise<{ direct: string; flink: string }> {
    const direct = join(dir, `${name}-direct.duckdb`), flink = join(dir, `${name}-flink.duckdb`);
    const common = [pipeline, "--source", "pubsub", "--project", PROJECT, "--sink", "duckdb", ...flags];
    const before = await plainCounts(pipeline, direct);
    const d = runCli([...common, "--subscription", `${name}-direct`, "--warehouse", direct], undefined, emu.env);
    expect(d.status, d.stderr).to.equal(0);
    // What the direct run wrote, not what its warehouse holds: the catalog job's dead letters are there before it.
    const expected = new Map([...(await plainCounts(pipeline, direct))].map(([table, n]) => [table, n - (before.get(table) ?? 0)] as const));
    const started = Date.now();
    const f = await runUntilWritten([...common, "--runner", "flink", "--subscription", `${name}-flink`, "--warehouse", flink, "--timestampAttribute", "event_time", "--paneDelaySec", "1"], (written) =>
      [...expected].every(([table, n]) => (written.get(table) ?? 0) >= n),
    );
    expect(f.status, `${f.stdout}\n${f.stderr}`).to.equal(0);
    expect(f.stdout).to.match(new RegExp(`^${pipeline}: ran on flink as job \\S+, state CANCELLED$`, "m"));
    console.log(`      flink run of ${pipeline}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return { direct, flink };
  }

  /** Every table of the pipeline, rows in a canonical order, without the read-time columns. */
  async function tables(pipeline: string, warehouse: string): Promise<Record<string, Record<string, unknown>[]>> {
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const table of PIPELINES[pipeline].tables) {
      const columns = table.fields.filter((f) => !READ_TIME.has(f.name)).map((f) => `"${f.name}"`);
      out[table.name] = await query(warehouse, `SELECT ${columns.join(", ")} FROM "${table.name}" ORDER BY ALL`);
    }
    return out;
  }

  async function expectSameTables(pipeline: string, runs: { direct: string; flink: string }): Promise<Record<string, Record<string, unknown>[]>> {
    const direct = await tables(pipeline, runs.direct);
    const flink = await tables(pipeline, runs.flink);
    for (const table of Object.keys(direct)) {
      console.log(`      ${table}: ${direct[table].length} rows on both runners`);
      expect(flink[table], table).to.deep.equal(direct[table]);
    }
    return direct;
  }

  it("alerts: the same alerts and dead letters as the direct runner", async () => {
    await published("alerts-parity", "playback", 600, 11);
    const rows = await expectSameTables("alerts", await runBoth("alerts", "alerts-parity"));
    expect(rows.video_playback_alerts.length).to.be.greaterThan(20);
  });

  it("conversations: whole conversations, the same rows as the direct runner", async () => {
    await published("conversations-parity", "conversations", 400, 12);
    const rows = await expectSameTables("conversations", await runBoth("conversations", "conversations-parity"));
    expect(rows.customer_courier_conversations.length).to.be.greaterThan(50);
  });

  it("ott: user_events and every view the same as the direct runner, late events included", async () => {
    await published("ott-parity", "ott", 1500, 13);
    // Which events are too late depends on each runner's watermark (docs/runners.md): a lateness longer than the input's span keeps them all on both.
    const rows = await expectSameTables("ott", await runBoth("ott", "ott-parity", ["--allowedLatenessSec", "3600"]));
    expect(rows.user_events.length).to.be.greaterThan(1000);
  });

  it("ott with a catalog: the same titles and genres from the catalog on both runners; an event's own title wins", async function () {
    this.timeout(1_200_000); // a second OTT run on Flink, and two catalog runs
    // The sample's events with their titles and genres taken away, but title_001's, which carry a title of their own.
    const recorded = join(dir, "ott-catalog-recorded.jsonl");
    const generated = runScript("publisher/cli.js", ["ott", "--output", "file", "--out", recorded, "--count", "1500", "--eps", "100000", "--seed", "14", "--startTime", START], { env: emu.env });
    expect(generated.status, generated.stderr).to.equal(0);
    const OWN = "Zz Own Title";
    const lines = readFileSync(recorded, "utf8").trim().split("\n").map((line) => {
      const event = JSON.parse(line);
      const own = event.content_id === "title_001";
      if ("content_title" in event) Object.assign(event, own ? { content_title: OWN } : { content_title: null, genre: null });
      else if (event.content) Object.assign(event.content, own ? { title: OWN } : { title: null, genre: null });
      return JSON.stringify(event);
    });
    await publishedLines("ott-catalog", lines);
    // The generated catalog (IMDb's layout, the OTT sample's content ids as tconst) in both warehouses.
    for (const runner of ["direct", "flink"]) {
      const catalog = runCli(["catalog", "--warehouse", join(dir, `ott-catalog-${runner}.duckdb`)]);
      expect(catalog.status, catalog.stderr).to.equal(0);
    }
    const runs = await runBoth("ott", "ott-catalog", ["--allowedLatenessSec", "3600"]);
    const rows = await expectSameTables("ott", runs);
    const catalogTitles = new Map((await query(runs.direct, "SELECT tconst, primaryTitle FROM title_basics")).map((r) => [r.tconst, r.primaryTitle]));
    const viewers = rows.ott_viewers_per_title;
    expect(viewers.length).to.be.greaterThan(20); // the sample's 20 titles, in more than one window
    // A title the catalog lost (the sample breaks about one line in 500) has none: the events carry none either.
    for (const row of viewers) expect(row.title, String(row.content_id)).to.equal(row.content_id === "title_001" ? OWN : catalogTitles.get(row.content_id) ?? null);
    expect(rows.ott_trend_device_genre.filter((r) => r.genre !== "unknown")).to.not.deep.equal([]);
    expect(rows.user_events.filter((r) => r.content_id !== "title_001" && ((r.content as { title: string | null } | null)?.title ?? null) !== null)).to.deep.equal([]);
  });
});
