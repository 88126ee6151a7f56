import { createReadStream } from "fs";
import { createServer, IncomingMessage, Server, ServerResponse } from "http";
import { AddressInfo } from "net";
import { dirname, join } from "path";
import { DuckDBConnection } from "@duckdb/node-api";
import { RunnablePipeline } from "../../pipelines/definition";
import { Panel } from "../../pipelines/dashboard";
import { CommitReport } from "../direct/committer";
import { PipelineMetrics, SourceGauges } from "./metrics";
import { HEALTH_PANELS, RunHealth } from "./run-health";
import { PanelRow, WarehouseReader } from "./warehouse-reader";

/** The page's own files, beside this module's source (dist/runners/dashboard -> runners/dashboard/static). */
const STATIC_DIR = join(__dirname, "..", "..", "..", "runners", "dashboard", "static");
/** Chart.js's browser build, served from node_modules: no network at run time, no bundler. */
const CHART_JS = join(dirname(require.resolve("chart.js")), "chart.umd.min.js");

const STATIC_FILES: Record<string, { path: string; type: string }> = {
  "/static/chart.umd.min.js": { path: CHART_JS, type: "text/javascript; charset=utf-8" },
  "/static/dashboard.js": { path: join(STATIC_DIR, "dashboard.js"), type: "text/javascript; charset=utf-8" },
  "/static/dashboard.css": { path: join(STATIC_DIR, "dashboard.css"), type: "text/css; charset=utf-8" },
};

/** One panel as the page receives it. */
export interface PanelData {
  id: string;
  title: string;
  chart: Panel["chart"];
  unit: string;
  /** "warehouse": a query of the tables; "run": the commits of this process's runs. */
  from: "warehouse" | "run";
  rows: PanelRow[];
  /** Epoch ms of the last commit of its data, or null. */
  lastCommitted: number | null;
  /** Why it has no rows (an empty state, not an error). */
  empty?: string;
  error?: string;
}

/** A run the dashboard follows: it is told of every commit, and ends before the sink closes. */
export interface FollowedRun {
  onCommit(commit: CommitReport): void;
  end(): Promise<void>;
}

export interface DashboardOptions {
  port: number;
  /** The DuckDB file the pages read. */
  warehouse: string;
  pipelines: readonly RunnablePipeline<unknown>[];
  /** Where to listen; loopback unless told (the pages expose the warehouse's rows). */
  host?: string;
}

/** The dashboard cannot serve (its port is taken, or not allowed). */
export class DashboardError extends Error {}

/** Sends a commit to the pages at most this often per pipeline: a page refetches on each. */
const EVENT_INTERVAL_MS = 500;

/**
 * The local dashboard: one page per pipeline over the warehouse, live while a
 * run of this process commits (server-sent events), and `/metrics` in
 * Prometheus' exposition format. While a run writes, queries go through a
 * connection of its own DuckDB instance (DuckDB allows one writing process);
 * otherwise through the file opened read-only.
 */
export class DashboardServer {
  readonly metrics = new PipelineMetrics();
  private readonly health = new Map<string, RunHealth>();
  /** Per table: epoch ms of its last commit in this process. */
  private readonly tableCommits = new Map<string, number>();
  private readonly clients = new Set<ServerResponse>();
  private readonly lastEvent = new Map<string, number>();
  private readonly pendingEvent = new Map<string, NodeJS.Timeout>();
  private reader?: WarehouseReader;
  /** The running pipeline while a run writes (its reader is live), "starting" while its sink opens. */
  private live?: { pipeline: string; state: "starting" | "running" };
  /** Queries and reader changes, one at a time: a reader is never closed under a query. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly server: Server,
    private readonly options: DashboardOptions,
  ) {}

  static async start(options: DashboardOptions): Promise<DashboardServer> {
    const server = createServer();
    const dashboard = new DashboardServer(server, options);
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      dashboard.handle(request, response).catch((error: Error) => {
        if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        response.end(`${error.message}\n`);
      });
    });
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) => {
        const why = error.code === "EADDRINUSE" ? "in use" : error.code === "EACCES" ? "not allowed" : error.message;
        reject(new DashboardError(`dashboard port ${options.port} on ${host}: ${why} (give another port, or 0 for any free one)`));
      });
      server.listen(options.port, host, () => resolve());
    });
    return dashboard;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}/`;
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** A run of `pipeline` is about to open the warehouse for writing: the read-only file is let go first. */
  releaseWarehouse(pipeline: string): Promise<void> {
    return this.exclusive(async () => {
      this.reader?.close();
      this.reader = undefined;
      this.live = { pipeline, state: "starting" };
    });
  }

  /** Follows a run whose sink is open: reads through `connection`, counts its commits. */
  async follow(pipeline: string, connection: DuckDBConnection, source?: SourceGauges): Promise<FollowedRun> {
    const health = new RunHealth(source);
    this.health.set(pipeline, health);
    if (source) this.metrics.watchSource(pipeline, source);
    await this.exclusive(async () => {
      this.reader = WarehouseReader.ofConnection(connection);
      this.live = { pipeline, state: "running" };
    });
    return {
      onCommit: (commit) => {
        this.metrics.observeCommit(pipeline, commit);
        health.observe(commit);
        for (const table of commit.tables.keys()) this.tableCommits.set(table, commit.committedAt);
        this.announce(pipeline, commit.committedAt);
      },
      end: () =>
        this.exclusive(async () => {
          this.metrics.forget(pipeline);
          this.reader?.close();
          this.reader = undefined;
          this.live = undefined;
          this.announce(pipeline, Date.now());
        }),
    };
  }

  /** Tells the pages a pipeline committed, at most every EVENT_INTERVAL_MS (the last one always goes out). */
  private announce(pipeline: string, at: number): void {
    const send = (): void => {
      this.pendingEvent.delete(pipeline);
      this.lastEvent.set(pipeline, Date.now());
      const message = `event: commit\ndata: ${JSON.stringify({ pipeline, at })}\n\n`;
      for (const client of this.clients) client.write(message);
    };
    if (this.pendingEvent.has(pipeline)) return;
    const wait = (this.lastEvent.get(pipeline) ?? 0) + EVENT_INTERVAL_MS - Date.now();
    if (wait <= 0) send();
    else this.pendingEvent.set(pipeline, setTimeout(send, wait));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const names = this.options.pipelines.map((p) => p.name);
    if (request.method !== "GET" && request.method !== "HEAD") return this.send(response, 405, "text/plain", "GET only\n");
    if (path === "/") {
      response.writeHead(302, { location: `/${this.live?.pipeline ?? names[0]}` });
      return void response.end();
    }
    if (path === "/metrics") {
      const exposition = await this.metrics.exposition();
      return this.send(response, 200, exposition.contentType, exposition.text);
    }
    if (path === "/events") return this.subscribe(request, response);
    if (path === "/favicon.ico") return void response.writeHead(204).end();
    const file = STATIC_FILES[path];
    if (file) {
      response.writeHead(200, { "content-type": file.type, "cache-control": "no-cache" });
      return void createReadStream(file.path).pipe(response);
    }
    const api = /^\/api\/([a-z0-9_-]+)$/.exec(path);
    const pipeline = this.options.pipelines.find((p) => p.name === (api ? api[1] : path.slice(1)));
    if (pipeline === undefined) return this.send(response, 404, "text/plain", `no page ${path}: pipelines are ${names.join(", ")}\n`);
    if (api) return this.send(response, 200, "application/json", JSON.stringify(await this.page(pipeline)));
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
    createReadStream(join(STATIC_DIR, "index.html")).pipe(response);
  }

  private send(response: ServerResponse, status: number, type: string, body: string): void {
    response.writeHead(status, { "content-type": type.includes("charset") ? type : `${type}; charset=utf-8`, "cache-control": "no-cache" });
    response.end(body);
  }

  private subscribe(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    response.write(": commits of this process's runs\n\n");
    this.clients.add(response);
    request.on("close", () => this.clients.delete(response));
  }

  /** Everything a pipeline's page shows, read now. */
  page(pipeline: RunnablePipeline<unknown>): Promise<{ pipeline: string; pipelines: string[]; source: string; panels: PanelData[] }> {
    return this.exclusive(async () => {
      const live = this.live;
      if (live === undefined && this.reader === undefined) this.reader = await WarehouseReader.ofFile(this.options.warehouse);
      const reader = live?.state === "starting" ? undefined : this.reader;
      const tables = (await reader?.tables()) ?? new Set<string>();
      const ledgerCommit = live?.pipeline === pipeline.name ? null : ((await reader?.lastCommit(pipeline.name)) ?? null);
      const panels: PanelData[] = [];
      for (const panel of pipeline.panels) {
        const base = { id: panel.id, title: panel.title, chart: panel.chart, unit: panel.unit, from: "warehouse" as const };
        const committed = Math.max(0, ...panel.tables.map((t) => this.tableCommits.get(t) ?? 0));
        const lastCommitted = committed > 0 ? committed : ledgerCommit;
        const missing = panel.tables.filter((t) => !tables.has(t));
        if (reader === undefined || missing.length > 0) {
          const why = reader === undefined ? (live ? "the run is opening the warehouse" : `no warehouse at ${this.options.warehouse} yet`) : `no table ${missing.join(", ")} yet`;
          panels.push({ ...base, rows: [], lastCommitted, empty: `${why}: run the ${pipeline.name} pipeline` });
          continue;
        }
        try {
          const rows = await reader.panelRows(panel.sql, panel.chart === "line");
          panels.push({ ...base, rows, lastCommitted, empty: rows.length === 0 ? "no rows yet" : undefined });
        } catch (error) {
          panels.push({ ...base, rows: [], lastCommitted, error: (error as Error).message.split("\n")[0] });
        }
      }
      const health = this.health.get(pipeline.name);
      for (const panel of HEALTH_PANELS) {
        const data = health?.rows(panel.id) ?? { rows: [], empty: `commits of a run in this process: npm run pipeline -- ${pipeline.name} --dashboard` };
        panels.push({ ...panel, chart: "line", from: "run", rows: data.rows, lastCommitted: health?.lastCommit ?? null, empty: data.empty });
      }
      const source = live?.pipeline === pipeline.name ? `live: a ${pipeline.name} run of this process writes ${this.options.warehouse}` : `warehouse ${this.options.warehouse} (read-only)`;
      return { pipeline: pipeline.name, pipelines: this.options.pipelines.map((p) => p.name), source, panels };
    });
  }

  async close(): Promise<void> {
    for (const timer of this.pendingEvent.values()) clearTimeout(timer);
    for (const client of this.clients) client.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.exclusive(async () => {
      this.reader?.close();
      this.reader = undefined;
    });
  }
}
