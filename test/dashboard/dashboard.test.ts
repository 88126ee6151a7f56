import { expect } from "chai";
import { appendFileSync } from "fs";
import { get } from "http";
import { join } from "path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Browser, Page } from "playwright-core";
import { PIPELINES } from "../../pipelines/registry";
import { query, runScript, tempDir } from "../helpers";
import { useEmulator } from "../support/emulator-suite";
import {
  chartLabels,
  chartPoints,
  exited,
  expectedPoints,
  launchChromium,
  metricValue,
  openPage,
  pageErrors,
  panelStates,
  Point,
  screenshotPath,
  serve,
  sorted,
} from "../support/dashboard-page";

const START = "2025-03-01T10:00:00Z";
const PROJECT = "dashboard-test";
/** The health panels a run without Pub/Sub or event time leaves empty, on purpose. */
const FILE_RUN_EMPTY = ["backlog", "watermark-lag"];

type Drawn = Record<string, { points: Point[]; labels: string[] }>;

/** What the page drew for each of the pipeline's warehouse panels. */
async function drawn(page: Page, pipeline: string): Promise<Drawn> {
  const result: Drawn = {};
  for (const panel of PIPELINES[pipeline].panels) result[panel.id] = { points: await chartPoints(page, panel.id), labels: await chartLabels(page, panel.id) };
  return result;
}

/** Every warehouse panel drew exactly what its query gives on the warehouse (read once the run let go of it), bars in the query's order. */
async function expectDrawnAsQueried(pipeline: string, warehouse: string, seen: Drawn): Promise<void> {
  for (const panel of PIPELINES[pipeline].panels) {
    const rows = await query(warehouse, panel.sql);
    const expected = expectedPoints(panel, rows);
    expect(sorted(seen[panel.id].points), `${pipeline}/${panel.id}`).to.deep.equal(sorted(expected));
    if (panel.chart === "bar" || panel.chart === "stacked") expect(seen[panel.id].labels, `${pipeline}/${panel.id} order`).to.deep.equal([...new Set(expected.map((p) => p[0]))]);
  }
}

/** A GET on a connection of its own: a kept-alive one may be closed by the server just as it is reused. */
function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: 10_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve(body));
    });
    request.on("timeout", () => request.destroy(new Error(`no answer from ${url} in 10 s`)));
    request.on("error", reject);
  });
}

/** Polls `check` until it holds; after a minute, fails with `what`. */
async function until(check: () => Promise<boolean>, what: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("dashboard in a real browser (Chromium, playwright-core)", function () {
  this.timeout(240_000);
  const dir = tempDir();
  let browser: Browser | undefined;

  before(async function () {
    browser = await launchChromium(this);
  });

  after(async () => {
    await browser?.close();
  });

  it("an empty warehouse shows every panel's empty state, no error, on every page", async () => {
    const warehouse = join(dir, "empty.duckdb");
    (await DuckDBInstance.create(warehouse)).closeSync();
    const served = await serve("cli/dashboard.js", ["--warehouse", warehouse, "--port", "0"], /Ctrl-C to stop/);
    try {
      for (const pipeline of Object.keys(PIPELINES)) {
        const page = await openPage(browser!, served.url, pipeline);
        const states = await panelStates(page);
        expect(Object.keys(states)).to.have.length(PIPELINES[pipeline].panels.length + 4);
        for (const [id, state] of Object.entries(states)) {
          expect(state.state, `${pipeline}/${id}: ${state.text}`).to.equal("empty");
          expect(state.text, `${pipeline}/${id}`).to.match(/^No data: /);
        }
        expect(await page.textContent("#status")).to.include("read-only");
        expect(pageErrors(page)).to.deep.equal([]);
        await page.close();
      }
    } finally {
      served.child.kill("SIGINT");
      expect(await exited(served.child), served.output()).to.equal(0);
    }
  });

  for (const pipeline of ["conversations", "ott"]) {
    it(`${pipeline}: a file run with --dashboard serves the page after it ends; every panel drew its query of the warehouse, dead letters by reason too`, async () => {
      const input = join(dir, `${pipeline}.jsonl`);
      const count = pipeline === "ott" ? "6000" : "3000";
      const generated = runScript("publisher/cli.js", [pipeline, "--output", "file", "--out", input, "--count", count, "--eps", "100000", "--seed", "8", "--startTime", START]);
      expect(generated.status, generated.stderr).to.equal(0);
      appendFileSync(input, '{not json\n{"orderId": "x"}\n[1, 2]\n');
      const warehouse = join(dir, `${pipeline}.duckdb`);
      const served = await serve("cli/main.js", [pipeline, "--input", input, "--warehouse", warehouse, "--dashboard", "0"], /serving http/);
      let seen: Drawn;
      try {
        const page = await openPage(browser!, served.url, pipeline);
        const states = await panelStates(page);
        for (const [id, state] of Object.entries(states)) {
          expect(state.state, `${id}: ${state.text}`).to.equal(FILE_RUN_EMPTY.includes(id) ? "empty" : "drawn");
          if (!FILE_RUN_EMPTY.includes(id)) expect(state.lastCommitted, id).to.be.a("number").within(Date.now() - 120_000, Date.now());
        }
        expect(states["dead-letters"].state).to.equal("drawn");
        seen = await drawn(page, pipeline);
        await page.screenshot({ path: screenshotPath(dir, pipeline), fullPage: true });
        const metrics = await fetchText(`${served.url}metrics`);
        expect(metricValue(metrics, "beam_video_records_read_total", `pipeline="${pipeline}"`)).to.equal(Number(count) + 3);
        expect(metricValue(metrics, "beam_video_dead_letters_total", `pipeline="${pipeline}"`)).to.equal(3);
        expect(pageErrors(page)).to.deep.equal([]);
      } finally {
        served.child.kill("SIGINT");
        expect(await exited(served.child), served.output()).to.equal(0);
      }
      await expectDrawnAsQueried(pipeline, warehouse, seen);
    });
  }

  describe("a streaming alerts run on the Pub/Sub emulator with --dashboard", () => {
    const emu = useEmulator(PROJECT, { PUBSUB_PROJECT_ID: PROJECT });

    const publish = (count: number, seed: number): void => {
      const sent = runScript("publisher/cli.js", ["playback", "--count", String(count), "--seed", String(seed), "--startTime", START, "--eps", "50000"], { env: emu.env });
      expect(sent.status, sent.stderr).to.equal(0);
    };

    it("draws every panel from the live run, shows a commit made after load without reloading, and exports the run's metrics", async () => {
      const warehouse = join(dir, "alerts.duckdb");
      const ensured = runScript("cli/resources.js", ["ensure", "--pipeline", "alerts", "--warehouse", warehouse], { env: emu.env });
      expect(ensured.status, ensured.stderr).to.equal(0);
      publish(2000, 1);
      await Promise.all(["{not json", '{"event_id": 5}', "[1,2]"].map((payload) => emu.pubsub.topic("video-playback-events").publishMessage({ data: Buffer.from(payload) })));
      const served = await serve("cli/main.js", ["alerts", "--source", "pubsub", "--streaming", "--warehouse", warehouse, "--dashboard", "0"], /dashboard: http/, emu.env);
      const readSoFar = async (): Promise<number> => {
        const metrics = await fetchText(`${served.url}metrics`).catch((error: Error) => {
          throw new Error(`${error.message}; exit ${served.child.exitCode}, output:\n${served.output()}`);
        });
        return metricValue(metrics, "beam_video_records_read_total", 'pipeline="alerts"');
      };
      let seen: Drawn;
      try {
        await until(async () => (await readSoFar()) === 2003, served.output);
        const page = await openPage(browser!, served.url, "alerts");
        await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
        const before = await chartPoints(page, "top-cities");
        const loads = await page.evaluate(() => (window as unknown as { dashboard: { loads: number } }).dashboard.loads);

        publish(2000, 2);
        await until(async () => (await readSoFar()) === 4003, served.output);
        const metrics = await fetchText(`${served.url}metrics`);
        const lastCommit = metricValue(metrics, "beam_video_last_commit_timestamp_seconds", 'pipeline="alerts"') * 1000;
        await page.waitForFunction(
          (at) => {
            const data = (window as unknown as { dashboard: { data: { panels: { id: string; lastCommitted: number | null }[] } } }).dashboard.data;
            return (data.panels.find((p) => p.id === "top-cities")!.lastCommitted ?? 0) >= at - 1;
          },
          lastCommit,
          { timeout: 30_000 },
        );
        expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), "the page was not reloaded").to.equal(true);
        expect(await page.evaluate(() => (window as unknown as { dashboard: { loads: number } }).dashboard.loads)).to.be.greaterThan(loads);
        const total = (points: Point[]): number => points.reduce((sum, p) => sum + p[2], 0);
        expect(total(await chartPoints(page, "top-cities"))).to.be.greaterThan(total(before));

        const states = await panelStates(page);
        for (const [id, state] of Object.entries(states)) expect(state.state, `${id}: ${state.text}`).to.equal(id === "watermark-lag" ? "empty" : "drawn");
        expect(states["watermark-lag"].text).to.include("unbounded input with event time");
        seen = await drawn(page, "alerts");
        await page.screenshot({ path: screenshotPath(dir, "alerts"), fullPage: true });

        expect(metricValue(metrics, "beam_video_records_valid_total", 'pipeline="alerts"')).to.equal(4000);
        expect(metricValue(metrics, "beam_video_dead_letters_total", 'pipeline="alerts",reason="invalid_json"')).to.equal(1);
        expect(metricValue(metrics, "beam_video_dead_letters_total", 'pipeline="alerts"')).to.equal(3);
        expect(metricValue(metrics, "beam_video_micro_batch_messages_sum", 'pipeline="alerts"')).to.equal(4003);
        expect(metricValue(metrics, "beam_video_publish_to_commit_latency_seconds_count", 'pipeline="alerts"')).to.be.greaterThan(0);
        expect(metrics).to.match(/^beam_video_pubsub_unacked_messages\{pipeline="alerts",subscription="projects\/dashboard-test\/subscriptions\/video-playback-events-sub"\} \d+$/m);
        expect(pageErrors(page)).to.deep.equal([]);
      } finally {
        served.child.kill("SIGINT");
        expect(await exited(served.child), served.output()).to.equal(0);
      }
      await expectDrawnAsQueried("alerts", warehouse, seen);
      const stored = await query(warehouse, "SELECT count(*) AS n FROM video_playback_alerts");
      expect(seen["alerts-over-time"].points.reduce((sum, p) => sum + p[2], 0)).to.equal(Number(stored[0].n));
      const topCity = await query(warehouse, "SELECT city, count(*) AS n FROM video_playback_alerts GROUP BY city ORDER BY n DESC LIMIT 1");
      expect(seen["top-cities"].points[0].slice(0, 1).concat(seen["top-cities"].points[0][2])).to.deep.equal([topCity[0].city, Number(topCity[0].n)]);
    });
  });
});
