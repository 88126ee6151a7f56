import { expect } from "chai";
import { mkdirSync, readFileSync } from "fs";
import { join } from "path";
import { PlaybackGenerator } from "../../samples/playback";
import { query, runCli, summaryLine, tempDir, writeLines } from "../helpers";

/** The alert rule written out independently of the pipeline's code, as the oracle: alert ids, one per alerting line. */
function alertLineIds(lines: readonly string[], threshold: number): number[] {
  const ids: number[] = [];
  for (const line of lines) {
    let e: { event_id?: unknown; event_type?: unknown; buffer_duration_ms?: unknown };
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof e.event_id === "number" && (e.event_type === "error" || (e.buffer_duration_ms as number) > threshold)) ids.push(e.event_id);
  }
  return ids;
}

const expectedAlertIds = (lines: readonly string[], threshold: number): number[] =>
  [...new Set(alertLineIds(lines, threshold))].sort((a, b) => a - b);

const dump = (warehouse: string, table: string, order: string): Promise<Record<string, unknown>[]> =>
  query(warehouse, `SELECT * FROM ${table} ORDER BY ${order}`);

describe("alerts pipeline on the direct runner", () => {
  const dir = tempDir();
  const generated = [...new PlaybackGenerator({ seed: 7 }).lines(3000)];
  const event = (i: number): Record<string, unknown> => JSON.parse(generated[i]);
  // Broken lines, each with the reason it must be dead-lettered for, spliced in at known places.
  const broken: [string, string][] = [
    ['{"event_id": 1, "session_id":', "invalid_json"],
    [JSON.stringify({ ...event(10), event_id: undefined, session_id: 99 }), "missing_field"],
    [JSON.stringify({ ...event(11), buffer_duration_ms: "4500" }), "wrong_type"],
    [JSON.stringify({ ...event(12), bitrate_kbps: 1.5 }), "wrong_type"],
    [JSON.stringify({ ...event(13), event_type: "pause" }), "not_allowed"],
    [JSON.stringify({ ...event(14), event_timestamp: "27/10/2025 21:10" }), "bad_timestamp"],
    [JSON.stringify({ ...event(15), buffer_duration_ms: -20 }), "out_of_range"],
    ["[]", "not_object"],
  ];
  const lines: string[] = [];
  const expectedDead: { line: number; code: string; payload: string }[] = [];
  generated.forEach((line, i) => {
    lines.push(line);
    if (i % 300 === 5 && (i / 300) < broken.length) {
      const entry = broken[(i / 300) | 0];
      lines.push(entry[0]);
      expectedDead.push({ line: lines.length, code: entry[1], payload: entry[0] });
    }
    if (i % 500 === 17) lines.push("   ");
  });
  const repeated = generated.filter((l) => alertLineIds([l], 4000).length > 0).slice(0, 2);
  lines.push(...repeated); // input that repeats alerting lines
  const input = writeLines(join(dir, "events.jsonl"), lines);
  const validLines = lines.filter((l) => !broken.some((b) => b[0] === l));
  const warehouse = join(dir, "w.duckdb");

  let first: ReturnType<typeof runCli>;
  before(() => {
    first = runCli(["alerts", "--input", input, "--warehouse", warehouse]);
  });

  it("exits 0 and accounts for every line in the summary", () => {
    expect(first.status, first.stderr).to.equal(0);
    const blank = lines.filter((l) => l.trim() === "").length;
    const valid = lines.length - blank - expectedDead.length;
    expect(summaryLine(first.stdout, "read")).to.equal(`${lines.length.toLocaleString("en-US")} lines = ${valid.toLocaleString("en-US")} valid + ${expectedDead.length} dead letters + ${blank} blank`);
    expect(first.stdout).to.include(`rows in                DuckDB warehouse ${warehouse}`);
  });

  it("stores every alert once, and nothing else", async () => {
    const rows = await dump(warehouse, "video_playback_alerts", "event_id");
    expect(rows.map((r) => Number(r.event_id))).to.deep.equal(expectedAlertIds(validLines, 4000));
    for (const row of rows.slice(0, 50)) {
      const source = JSON.parse(generated[Number(row.event_id) - 1]);
      expect(row.event_timestamp).to.equal(source.event_timestamp); // DuckDB prints TIMESTAMP as 'YYYY-MM-DD HH:MM:SS'
      expect(row.run_date).to.equal(source.event_timestamp.slice(0, 10));
      expect([row.city, row.isp, Number(row.buffer_duration_ms)]).to.deep.equal([source.city, source.isp, source.buffer_duration_ms]);
    }
  });

  it("puts each broken line in dead_letter with its reason, payload and file:line", async () => {
    const rows = await dump(warehouse, "dead_letter", "source");
    const got = rows.map((r) => ({ line: Number(String(r.source).split(":").pop()), code: r.reason_code, payload: r.payload }));
    expect(got.sort((a, b) => a.line - b.line)).to.deep.equal(expectedDead);
    for (const row of rows) {
      expect(row.pipeline).to.equal("alerts");
      expect(String(row.source).startsWith(`${input}:`)).to.equal(true);
      expect(String(row.reason)).to.not.equal("");
    }
  });

  it("leaves the same rows when run again over the same input", async () => {
    const alerts = await dump(warehouse, "video_playback_alerts", "event_id");
    const dead = await dump(warehouse, "dead_letter", "dead_letter_id");
    const again = runCli(["alerts", "--input", input, "--warehouse", warehouse]);
    expect(again.status, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/already committed\s+1 input units skipped/);
    expect(again.stdout).to.match(/read\s+0 lines/);
    expect(await dump(warehouse, "video_playback_alerts", "event_id")).to.deep.equal(alerts);
    expect(await dump(warehouse, "dead_letter", "dead_letter_id")).to.deep.equal(dead);
  });

  it("gives the same tables on worker threads as in the main thread", async () => {
    const pooled = join(dir, "pooled.duckdb");
    const run = runCli(["alerts", "--input", input, "--warehouse", pooled, "--directNumWorkers", "2"]);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.include("direct runner, 2 worker threads");
    expect(await dump(pooled, "video_playback_alerts", "event_id")).to.deep.equal(await dump(warehouse, "video_playback_alerts", "event_id"));
    const deadIds = async (w: string) => (await dump(w, "dead_letter", "dead_letter_id")).map((r) => r.dead_letter_id);
    expect(await deadIds(pooled)).to.deep.equal(await deadIds(warehouse));
  });

  it("applies --bufferThresholdMs", async () => {
    const lower = join(dir, "lower.duckdb");
    expect(runCli(["alerts", "--input", input, "--warehouse", lower, "--bufferThresholdMs", "2500"]).status).to.equal(0);
    const rows = await query(lower, "SELECT event_id FROM video_playback_alerts ORDER BY event_id");
    expect(rows.map((r) => Number(r.event_id))).to.deep.equal(expectedAlertIds(validLines, 2500));
  });

  it("writes the same alerts to JSONL files, idempotently", () => {
    const out = join(dir, "jsonl");
    for (let i = 0; i < 2; i++) expect(runCli(["alerts", "--input", input, "--sink", "jsonl", "--outputDir", out]).status).to.equal(0);
    const rows = readFileSync(join(out, "video_playback_alerts.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((r) => r.event_id).sort((a, b) => a - b)).to.deep.equal(expectedAlertIds(validLines, 4000));
    expect(rows[0].event_timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const dead = readFileSync(join(out, "dead_letter.jsonl"), "utf8").trim().split("\n");
    expect(dead).to.have.length(expectedDead.length);
  });

  it("refuses, in one line, a JSONL output file it did not write", () => {
    const out = join(dir, "foreign");
    mkdirSync(out);
    writeLines(join(out, "video_playback_alerts.jsonl"), ['{"event_id": 1}', "not json"]);
    const run = runCli(["alerts", "--input", input, "--sink", "jsonl", "--outputDir", out]);
    expect(run.status).to.equal(1);
    expect(run.stderr.trim().split("\n")).to.deep.equal([`error: ${join(out, "video_playback_alerts.jsonl")}:2 is not a JSON line this sink wrote: fix or move the file, or use another --outputDir`]);
  });

  it("streams rows to stdout with the summary on stderr", () => {
    const run = runCli(["alerts", "--input", input, "--sink", "stdout"]);
    expect(run.status).to.equal(0);
    const rows = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.filter((r) => r.table === "video_playback_alerts")).to.have.length(alertLineIds(validLines, 4000).length);
    expect(rows.filter((r) => r.table === "dead_letter")).to.have.length(expectedDead.length);
    expect(run.stderr).to.include("alerts: done");
  });
});
