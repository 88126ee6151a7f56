import { createReadStream } from "fs";
import { createInterface } from "readline";
import { parseArgs } from "../cli/args";
import { runPipeline, startDashboard } from "../cli/run";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
import { deadLetter } from "../schemas/dead-letter";
import { videoPlaybackAlerts } from "../schemas/playback";
import { Row } from "../schemas/table";
import { deadLetterOf } from "../transforms/core/dead-letter";
import { isRejection, reject, Rejection } from "../transforms/core/validate";
import { Decoder } from "../transforms/core/parse";
import { DEFAULT_BUFFER_THRESHOLD_MS, decodePlaybackEvent, detectAlerts } from "../transforms/playback/alerts";
import { conversationsPipeline } from "../pipelines/conversations/pipeline";
import { conversationMessages, customerCourierConversations, orders } from "../schemas/conversations";
import { ConversationAccumulator, conversationCombineFn } from "../transforms/conversations/combine";
import { decodeConversationRecord, isMessage } from "../transforms/conversations/records";
import { ottPipeline } from "../pipelines/ott/pipeline";
import { OttEvent, userEvents } from "../schemas/ott";
import { decodeOttEvent } from "../transforms/ott/events";
import { admitEvent } from "../transforms/ott/arrival";
import { DUPLICATE } from "../transforms/core/parse";
import { addEvent, built, newBuilder, TallyBuilder } from "../transforms/ott/tally";
import { OTT_VIEWS } from "../transforms/ott/views";
import { utcDay } from "../schemas/timestamp";
import { duckdbAlerts, duckdbConversations, duckdbOtt } from "./warehouse-alone";

/**
 * One measured run, in its own process so its peak RSS is its own. Prints one
 * `BENCH {...}` line: elapsed ms (from start of reading to the last commit), peak RSS
 * and, when run with `--expose-gc`, the peak live heap.
 */

const COMMIT_ROWS = 50_000;

/**
 * The baselines' shared loop: readline, JSON.parse, the pipeline's own
 * decoder, dead letters for what it rejects, and `take` for what it accepts;
 * rows are written in commits of 50,000, no Beam.
 */
async function plainLoop<T>(input: string, sink: DuckDbSink, pipeline: string, decode: Decoder<T>, take: (record: T, rows: TableRows) => void): Promise<void> {
  const receivedAt = Date.now() * 1000;
  let rows = new TableRows();
  let lineNo = 0;
  for await (const line of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === "") continue;
    let record: T | Rejection;
    try {
      record = decode(JSON.parse(line), receivedAt);
    } catch (error) {
      record = reject("invalid_json", String(error));
    }
    if (isRejection(record)) rows.add(deadLetter.name, deadLetterOf(pipeline, `${input}:${lineNo}`, line, record, receivedAt));
    else take(record, rows);
    if (rows.count >= COMMIT_ROWS) {
      await sink.write(rows.tables);
      rows = new TableRows();
    }
  }
  await sink.write(rows.tables);
}

/** Rows waiting for a commit, by table. */
class TableRows {
  readonly tables = new Map<string, Row[]>();
  count = 0;

  add(table: string, row: Row): void {
    const list = this.tables.get(table);
    if (list) list.push(row);
    else this.tables.set(table, [row]);
    this.count++;
  }
}

/** The alerts baseline: the same validation, rule and idempotent DuckDB writes as the pipeline. */
async function alertsBaseline(input: string, warehouse: string): Promise<void> {
  const sink = new DuckDbSink(warehouse);
  await sink.open([videoPlaybackAlerts, deadLetter]);
  await plainLoop(input, sink, "alerts", decodePlaybackEvent, (event, rows) => {
    for (const alert of detectAlerts([event], DEFAULT_BUFFER_THRESHOLD_MS)) rows.add(videoPlaybackAlerts.name, alert);
  });
  await sink.close();
}

/**
 * The conversations baseline: the same decoder and CombineFn, every order's
 * accumulator in one Map, its rows written once at the end.
 */
async function conversationsBaseline(input: string, warehouse: string): Promise<void> {
  const sink = new DuckDbSink(warehouse);
  await sink.open(conversationsPipeline.tables, conversationsPipeline.merges);
  const accumulators = new Map<number, ConversationAccumulator>();
  await plainLoop(input, sink, "conversations", decodeConversationRecord, (record, rows) => {
    rows.add(isMessage(record) ? conversationMessages.name : orders.name, record);
    const acc = accumulators.get(record.order_id) ?? conversationCombineFn.createAccumulator();
    accumulators.set(record.order_id, conversationCombineFn.addInput(acc, record));
  });
  const panes = [...accumulators.values()];
  for (let i = 0; i < panes.length; i += COMMIT_ROWS) await sink.write(new Map([[customerCourierConversations.name, panes.slice(i, i + COMMIT_ROWS)]]));
  await sink.close();
}

/**
 * With `--expose-gc`, samples the heap after a full collection every second:
 * what the run keeps alive, as opposed to the garbage V8 has not collected yet.
 */
function sampleLiveHeap(): () => number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return () => undefined;
  let peak = 0;
  const sample = () => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  setInterval(sample, 1000).unref();
  return () => {
    sample();
    return peak / 2 ** 20;
  };
}

/**
 * The OTT baseline: the same decoder, arrival rules (future, duplicate) and tallies, every view's
 * (window, key) tally in one Map, user_events written in commits of 50,000,
 * the views' panes at the end through the same merging sink.
 */
async function ottBaseline(input: string, warehouse: string): Promise<void> {
  const sink = new DuckDbSink(warehouse);
  await sink.open(ottPipeline.tables, ottPipeline.merges);
  const arrival = { receivedAt: Date.now() * 1000, seen: new Set<string>() };
  const duplicate = reject("duplicate", "repeated event_id");
  const decode = (value: unknown): OttEvent | Rejection => {
    const event = decodeOttEvent(value);
    if (isRejection(event)) return event;
    const verdict = admitEvent(event, { maxFutureMicros: 300e6 }, arrival);
    return verdict === DUPLICATE ? duplicate : verdict ?? event;
  };
  const views = Object.values(OTT_VIEWS);
  const panes = views.map(() => new Map<string, { pane: Row; builder: TallyBuilder }>());
  await plainLoop(input, sink, "ott", decode, (event, rows) => {
    rows.add(userEvents.name, event);
    for (let v = 0; v < views.length; v++) {
      const view = views[v];
      const keys = view.keyOf(event);
      if (keys === null) continue;
      const size = view.sizeSec * 1e6, period = view.periodSec * 1e6;
      for (let start = Math.floor(event.timestamp / period) * period; start > event.timestamp - size; start -= period) {
        const id = `${start}\u0001${keys.join("\u0001")}`;
        let entry = panes[v].get(id);
        if (entry === undefined) {
          const pane: Row = { window_start: start, window_end: start + size, window_date: utcDay(start) };
          view.table.key.slice(1).forEach((column, i) => (pane[column] = keys[i]));
          entry = { pane: pane, builder: newBuilder(view.tally) };
          panes[v].set(id, entry);
        }
        addEvent(entry.builder, event, view.tally);
      }
    }
  });
  for (let v = 0; v < views.length; v++) {
    const all = [...panes[v].values()].map((e) => ({ ...e.pane, tally: built(e.builder) }));
    for (let i = 0; i < all.length; i += COMMIT_ROWS) await sink.write(new Map([[views[v].table.name, all.slice(i, i + COMMIT_ROWS)]]));
  }
  await sink.close();
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const liveHeap = sampleLiveHeap();
  const started = Date.now();
  let extra: Record<string, number> = {};
  if (mode === "alerts-baseline") {
    await alertsBaseline(process.argv[3], process.argv[4]);
  } else if (mode === "conversations-baseline") {
    await conversationsBaseline(process.argv[3], process.argv[4]);
  } else if (mode === "ott-baseline") {
    await ottBaseline(process.argv[3], process.argv[4]);
  } else if (mode === "duckdb-alerts") {
    extra = await duckdbAlerts(process.argv[3], process.argv[4]);
  } else if (mode === "duckdb-ott") {
    extra = await duckdbOtt(process.argv[3], process.argv[4]);
  } else if (mode === "duckdb-conversations") {
    extra = await duckdbConversations(process.argv[3], process.argv[4]);
  } else {
    const args = parseArgs(process.argv.slice(3));
    if (args === "help") return;
    // With --dashboard the pages and /metrics are served (not viewed) while it runs, as the CLI does.
    const dashboard = await startDashboard([args]);
    try {
      await runPipeline(args, dashboard);
    } finally {
      await dashboard?.close();
    }
  }
  // The views of duckdb-ott are timed apart from its ingest.
  const ms = Date.now() - started - (extra.viewsMs ?? 0);
  process.stdout.write(`BENCH ${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, liveHeapMb: liveHeap(), ...extra })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
