import { createReadStream } from "fs";
import { createInterface } from "readline";
import { parseArgs } from "../cli/args";
import { runPipeline } from "../cli/run";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
import { deadLetter } from "../schemas/dead-letter";
import { videoPlaybackAlerts } from "../schemas/playback";
import { Row } from "../schemas/table";
import { deadLetterOf } from "../transforms/core/dead-letter";
import { isRejection, reject } from "../transforms/core/validate";
import { decodePlaybackEvent, detectAlerts } from "../transforms/playback/alerts";
import { conversationsPipeline } from "../pipelines/conversations/pipeline";
import { conversationMessages, customerCourierConversations, orders } from "../schemas/conversations";
import { ConversationAccumulator, conversationCombineFn } from "../transforms/conversations/combine";
import { decodeConversationRecord, isMessage } from "../transforms/conversations/records";

/**
 * One measured run, in its own process so its peak RSS is its own. Prints one
 * `BENCH {...}` line: elapsed ms (from start of reading to the last commit) and peak RSS.
 */

/** The plain-Node baseline: readline, JSON.parse, the same validation, rule and DuckDB writes, no Beam. */
async function alertsBaseline(input: string, warehouse: string): Promise<void> {
  const sink = new DuckDbSink(warehouse);
  await sink.open([videoPlaybackAlerts, deadLetter]);
  let alerts: Row[] = [];
  let dead: Row[] = [];
  let lineNo = 0;
  const receivedAt = Date.now() * 1000;
  const flush = async () => {
    await sink.write(new Map([[videoPlaybackAlerts.name, alerts], [deadLetter.name, dead]]));
    alerts = [];
    dead = [];
  };
  for await (const line of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === "") continue;
    let event;
    try {
      event = decodePlaybackEvent(JSON.parse(line));
    } catch (error) {
      event = reject("invalid_json", String(error));
    }
    if (isRejection(event)) dead.push(deadLetterOf("alerts", `${input}:${lineNo}`, line, event, receivedAt));
    else for (const alert of detectAlerts([event], 4000)) alerts.push(alert);
    if (alerts.length + dead.length >= 50_000) await flush();
  }
  await flush();
  await sink.close();
}

/**
 * The plain-Node conversations baseline: readline, JSON.parse, the same
 * decoder and CombineFn with every order's accumulator in one Map, messages
 * and orders written in commits of 50,000 rows, the final rows at the end.
 */
async function conversationsBaseline(input: string, warehouse: string): Promise<void> {
  const sink = new DuckDbSink(warehouse);
  await sink.open(conversationsPipeline.tables, conversationsPipeline.merges);
  const accumulators = new Map<number, ConversationAccumulator>();
  let messages: Row[] = [];
  let orderRows: Row[] = [];
  let dead: Row[] = [];
  let lineNo = 0;
  const receivedAt = Date.now() * 1000;
  const flush = async () => {
    await sink.write(new Map([[conversationMessages.name, messages], [orders.name, orderRows], [deadLetter.name, dead]]));
    messages = [];
    orderRows = [];
    dead = [];
  };
  for await (const line of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === "") continue;
    let record;
    try {
      record = decodeConversationRecord(JSON.parse(line), receivedAt);
    } catch (error) {
      record = reject("invalid_json", String(error));
    }
    if (isRejection(record)) {
      dead.push(deadLetterOf("conversations", `${input}:${lineNo}`, line, record, receivedAt));
      continue;
    }
    (isMessage(record) ? messages : orderRows).push(record);
    const acc = accumulators.get(record.order_id) ?? conversationCombineFn.createAccumulator();
    accumulators.set(record.order_id, conversationCombineFn.addInput(acc, record));
    if (messages.length + orderRows.length >= 50_000) await flush();
  }
  await flush();
  const panes = [...accumulators.values()];
  for (let i = 0; i < panes.length; i += 50_000) await sink.write(new Map([[customerCourierConversations.name, panes.slice(i, i + 50_000)]]));
  await sink.close();
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const started = Date.now();
  if (mode === "alerts-baseline") {
    await alertsBaseline(process.argv[3], process.argv[4]);
  } else if (mode === "conversations-baseline") {
    await conversationsBaseline(process.argv[3], process.argv[4]);
  } else {
    const args = parseArgs(process.argv.slice(3));
    if (args === "help") return;
    await runPipeline(args);
  }
  const ms = Date.now() - started;
  process.stdout.write(`BENCH ${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
