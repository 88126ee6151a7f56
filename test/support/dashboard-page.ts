import { ChildProcess, execFileSync, spawn } from "child_process";
import { existsSync } from "fs";
import { Browser, chromium, Page } from "playwright-core";
import { Panel } from "../../pipelines/dashboard";
import { ROOT } from "../helpers";
import { join } from "path";

/** Debian's Chromium (.ci/run installs it when missing), or $CHROMIUM_PATH: playwright-core downloads no browser. */
export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const path = execFileSync("which", [name], { encoding: "utf8" }).trim();
      if (path !== "" && existsSync(path)) return path;
    } catch {
      // not on PATH: try the next name
    }
  }
  return undefined;
}

/** Chromium for a suite, or the suite skipped with the reason. */
export async function launchChromium(context: Mocha.Context): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) {
    console.log("    skipped: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)");
    context.skip();
  }
  return chromium.launch({ executablePath });
}

/** A command of the project started in the background, with its output so far and where its dashboard listens. */
export interface Served {
  child: ChildProcess;
  output(): string;
  /** The dashboard's base URL, e.g. http://127.0.0.1:41641/ */
  url: string;
}

/** Starts `dist/<script> args` and waits until its output matches `ready` (and names the dashboard's URL). */
export async function serve(script: string, args: readonly string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, "dist", script), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (ready.test(out) && /dashboard: http/.test(out)) (clearInterval(poll), resolve());
      if (child.exitCode !== null) (clearInterval(poll), reject(new Error(`exited ${child.exitCode}: ${out}`)));
    }, 20);
  });
  return { child, output: () => out, url: /dashboard: (http:\/\/[0-9.:]+\/)/.exec(out)![1] };
}

export function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** A point of a chart as the page drew it, or as the panel's query says: x, series (the unit when it has none), y. */
export type Point = [x: string | number, series: string, y: number];

export interface PanelState {
  state: "drawn" | "empty" | "error";
  text: string;
  lastCommitted: number | null;
}

const ERRORS = new WeakMap<Page, string[]>();

/** Uncaught errors of the page's script so far. */
export const pageErrors = (page: Page): string[] => ERRORS.get(page) ?? [];

/** Opens a pipeline's page and waits for its first drawing. */
export async function openPage(browser: Browser, url: string, pipeline: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  ERRORS.set(page, errors);
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${url}${pipeline}`);
  await page.waitForFunction(() => (window as unknown as { dashboard?: { loads: number } }).dashboard!.loads > 0);
  return page;
}

/** Every panel's state on the page, by id. */
export function panelStates(page: Page): Promise<Record<string, PanelState>> {
  return page.$$eval(".panel", (elements) =>
    Object.fromEntries(
      elements.map((e) => {
        const el = e as HTMLElement;
        const state = el.dataset.state as PanelState["state"];
        const text = (el.querySelector(state === "error" ? ".error" : ".empty") as HTMLElement).textContent ?? "";
        return [el.dataset.panel!, { state, text, lastCommitted: el.dataset.lastCommitted ? Number(el.dataset.lastCommitted) : null }];
      }),
    ),
  );
}

/** The points a panel's Chart.js chart holds, zeros left out (a stacked bar draws 0 where a series has no row). */
export function chartPoints(page: Page, panel: string): Promise<Point[]> {
  return page.evaluate((id) => {
    type Dataset = { label: string; data: (number | { x: number; y: number })[] };
    const chart = (window as unknown as { dashboard: { charts: Map<string, { config: { type: string }; data: { labels?: string[]; datasets: Dataset[] } }> } }).dashboard.charts.get(id);
    if (chart === undefined) return [];
    const points: [string | number, string, number][] = [];
    for (const dataset of chart.data.datasets) {
      dataset.data.forEach((value, i) => {
        if (typeof value === "number") points.push([chart.data.labels![i], dataset.label, value]);
        else points.push([value.x, dataset.label, value.y]);
      });
    }
    return points.filter((p) => p[2] !== 0);
  }, panel);
}

/** The bars' labels in drawing order (bar charts). */
export function chartLabels(page: Page, panel: string): Promise<string[]> {
  return page.evaluate((id) => {
    const chart = (window as unknown as { dashboard: { charts: Map<string, { data: { labels?: string[] } }> } }).dashboard.charts.get(id);
    return chart?.data.labels ?? [];
  }, panel);
}

/** A panel's query result as chart points (zeros left out), for comparison with what the page drew. */
export function expectedPoints(panel: Panel, rows: readonly Record<string, unknown>[]): Point[] {
  return rows
    .map((row): Point => [panel.chart === "line" ? Number(row.x) : String(row.x ?? "(none)"), row.series === undefined || row.series === null ? panel.unit : String(row.series), Number(row.y)])
    .filter((p) => p[2] !== 0);
}

/** Points in a canonical order, for comparing sets. */
export const sorted = (points: readonly Point[]): Point[] => [...points].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** A metric's value in Prometheus exposition text (the sum over series matching the label text), or 0. */
export function metricValue(exposition: string, name: string, labels = ""): number {
  return exposition
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** Where the test run writes the pages' screenshots: docs/screenshots with UPDATE_SCREENSHOTS=1 (README shows them), else `dir`. */
export function screenshotPath(dir: string, pipeline: string): string {
  return join(process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs", "screenshots") : dir, `${pipeline}.png`);
}
