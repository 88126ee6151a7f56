import { execFileSync, spawnSync } from "child_process";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "fs";
import { cpus, tmpdir, totalmem } from "os";
import { join } from "path";
import yargs from "yargs";
import { formatCount } from "../pipelines/format";
import { PlaybackGenerator } from "../samples/playback";
import { streamingBenchmark } from "./streaming";
import { catalogBenchmark } from "./catalog";
import { CONVERSATIONS_START_MICROS, ConversationGenerator } from "../samples/conversations";
import { OTT_START_MICROS, OttGenerator } from "../samples/ott";

interface Measured {
  label: string;
  events: number;
  ms: number;
  maxRssMb: number;
  liveHeapMb?: number;
}

/** Writes `count` generated playback events, one in every 1,000 replaced by a broken line. */
async function writeInput(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  let batch: string[] = [];
  let n = 0;
  for (const line of new PlaybackGenerator({ seed: 2024 }).lines(count)) {
    batch.push(++n % 1000 === 0 ? line.slice(0, 40) : line);
    if (batch.length === 10_000) {
      if (!out.write(batch.join("\n") + "\n")) await new Promise((resolve) => out.once("drain", resolve));
      batch = [];
    }
  }
  out.end(batch.length > 0 ? batch.join("\n") + "\n" : "");
  await new Promise((resolve) => out.on("finish", resolve));
}

function measure(label: string, events: number, args: string[], nodeFlags: string[] = []): Measured {
  const child = spawnSync(process.execPath, [...nodeFlags, join(__dirname, "child.js"), ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  const line = child.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (child.status !== 0 || line === undefined) throw new Error(`${label} failed:\n${child.stderr}`);
  const result = JSON.parse(line.slice(6));
  return { label, events, ms: result.ms, maxRssMb: result.maxRssMb, liveHeapMb: result.liveHeapMb };
}

const rate = (m: Measured): number => (m.events / m.ms) * 1000;
const fmt = formatCount;

/** `npm run bench -- alerts --events N`: the alerts pipeline beside a plain-Node baseline, in one run. */
async function alertsBenchmark(events: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bva-bench-"));
  try {
    const input = join(dir, "events.jsonl");
    const small = join(dir, "small.jsonl");
    await writeInput(input, events);
    await writeInput(small, Math.ceil(events / 4));
    execFileSync("sync"); // so writing back the inputs does not compete with the runs' fsyncs
    const warehouse = (name: string) => join(dir, `${name}.duckdb`);
    const pipeline = (name: string, file: string, extra: string[] = []) =>
      ["pipeline", "alerts", "--input", file, "--warehouse", warehouse(name), ...extra];

    const results = [
      measure("plain Node loop (baseline)", events, ["alerts-baseline", input, warehouse("baseline")]),
      measure("alerts pipeline, direct runner", events, pipeline("direct", input)),
      measure("alerts pipeline, 2 worker threads", events, pipeline("workers", input, ["--directNumWorkers", "2"])),
      measure("alerts pipeline, 1/4 of the input", Math.ceil(events / 4), pipeline("quarter", small)),
    ];
    const base = rate(results[0]);
    const cpu = cpus()[0]?.model ?? "unknown CPU";
    console.log(`alerts benchmark: ${fmt(events)} events (${(statSync(input).size / 1e6).toFixed(0)} MB JSONL, 0.1% broken lines)`);
    console.log(`machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, DuckDB file on ${execFileSync("df", ["--output=fstype", dir]).toString().split("\n")[1]}`);
    console.log("");
    console.log(`${"run".padEnd(36)} ${"events/s".padStart(10)} ${"vs baseline".padStart(12)} ${"peak RSS".padStart(10)}`);
    for (const r of results) {
      console.log(`${r.label.padEnd(36)} ${fmt(rate(r)).padStart(10)} ${`${(rate(r) / base).toFixed(2)}x`.padStart(12)} ${`${fmt(r.maxRssMb)} MB`.padStart(10)}`);
    }
    const main = results[1];
    console.log("");
    console.log(`targets: >= 300,000 events/s: ${rate(main) >= 300_000 ? "met" : "MISSED"}; >= 0.5x baseline: ${rate(main) / base >= 0.5 ? "met" : "MISSED"}; peak RSS < 500 MB: ${main.maxRssMb < 500 ? "met" : "MISSED"}`);
    console.log(`memory vs input size: ${fmt(results[3].maxRssMb)} MB at ${fmt(results[3].events)} events, ${fmt(main.maxRssMb)} MB at ${fmt(main.events)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ConversationsInput {
  lines: number;
  conversations: number;
}

/** Writes a conversations input of about `messages` lines with up to `maxMessages` messages per conversation. */
async function writeConversations(path: string, messages: number, maxMessages: number): Promise<ConversationsInput> {
  const perConversation = (2 + maxMessages) / 2 + 1; // messages on average, plus the order event
  const out = createWriteStream(path);
  let lines = 0, conversations = 0;
  const block = 20_000;
  for (let b = 0; lines < messages; b++) {
    const count = Math.min(block, Math.ceil((messages - lines) / perConversation));
    conversations += count;
    const generated = new ConversationGenerator({
      seed: b + 1,
      conversations: count,
      startMicros: CONVERSATIONS_START_MICROS + b * 3_600_000_000,
      firstOrderId: 10_000_000 + b * block * 7,
      maxMessages,
    }).lines();
    lines += generated.length;
    if (!out.write(generated.join("\n") + "\n")) await new Promise((resolve) => out.once("drain", resolve));
  }
  out.end();
  await new Promise((resolve) => out.on("finish", resolve));
  return { lines: lines, conversations: conversations };
}

/**
 * `npm run bench -- conversations --messages N`: the pipeline beside a
 * plain-Node baseline; then memory against conversations and messages.
 */
async function conversationsBenchmark(messages: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bva-bench-"));
  try {
    const input = join(dir, "chats.jsonl"), long = join(dir, "long-chats.jsonl"), quarter = join(dir, "quarter-chats.jsonl");
    const shortConversations = await writeConversations(input, messages, 5);
    const longer = await writeConversations(long, messages, 40);
    const fewer = await writeConversations(quarter, Math.ceil(messages / 4), 5);
    const lines = shortConversations.lines, longLines = longer.lines;
    execFileSync("sync");
    const warehouse = (name: string) => join(dir, `${name}.duckdb`);
    const pipeline = (name: string, file: string) => ["pipeline", "conversations", "--input", file, "--warehouse", warehouse(name)];
    const results = [
      measure("plain Node loop (baseline)", lines, ["conversations-baseline", input, warehouse("baseline")]),
      measure("conversations pipeline, direct runner", lines, pipeline("direct", input)),
      measure("same, 2-40 messages per conversation", longLines, pipeline("long", long)),
    ];
    // Forced collections slow a run down, so the live heap has runs of its own.
    const memory = [
      { input: fewer, run: measure("1/4 of the lines, 2-5 messages", fewer.lines, pipeline("m-quarter", quarter), ["--expose-gc"]) },
      { input: longer, run: measure("all lines, 2-40 messages", longLines, pipeline("m-long", long), ["--expose-gc"]) },
      { input: shortConversations, run: measure("all lines, 2-5 messages", lines, pipeline("m-direct", input), ["--expose-gc"]) },
    ];
    const base = rate(results[0]);
    console.log(`conversations benchmark: ${fmt(lines)} lines, 2-5 messages per conversation (the reference data's shape); ${fmt(longLines)} lines with 2-40`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
    console.log("");
    console.log(`${"run".padEnd(40)} ${"lines/s".padStart(10)} ${"vs baseline".padStart(12)} ${"peak RSS".padStart(10)}`);
    for (const r of results) {
      console.log(`${r.label.padEnd(40)} ${fmt(rate(r)).padStart(10)} ${`${(rate(r) / base).toFixed(2)}x`.padStart(12)} ${`${fmt(r.maxRssMb)} MB`.padStart(10)}`);
    }
    console.log("");
    console.log("memory (pipeline runs with a full GC every second; orders = conversations):");
    console.log(`${"input".padEnd(40)} ${"lines".padStart(10)} ${"orders".padStart(10)} ${"live heap".padStart(10)} ${"peak RSS".padStart(10)}`);
    for (const m of memory) {
      const r = m.run;
      console.log(`${r.label.padEnd(40)} ${fmt(r.events).padStart(10)} ${fmt(m.input.conversations).padStart(10)} ${`${fmt(r.liveHeapMb ?? 0)} MB`.padStart(10)} ${`${fmt(r.maxRssMb)} MB`.padStart(10)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `count` generated OTT events (both shapes, some late) to `path`. */
async function writeOttInput(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  const generator = new OttGenerator({ seed: 2024, startMicros: OTT_START_MICROS, meanGapMicros: 1000 });
  for (let written = 0; written < count; ) {
    const batch: string[] = [];
    for (; batch.length < 10_000 && written < count; written++) batch.push(JSON.stringify(generator.next()));
    if (!out.write(batch.join("\n") + "\n")) await new Promise((resolve) => out.once("drain", resolve));
  }
  out.end();
  await new Promise((resolve) => out.on("finish", resolve));
}

/** `npm run bench -- ott --events N`: ingest plus every view, beside a plain-Node baseline. */
async function ottBenchmark(events: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bva-bench-"));
  try {
    const input = join(dir, "ott.jsonl"), small = join(dir, "ott-quarter.jsonl");
    await writeOttInput(input, events);
    await writeOttInput(small, Math.ceil(events / 4));
    execFileSync("sync");
    const warehouse = (name: string) => join(dir, `${name}.duckdb`);
    const results = [
      measure("plain Node loop (baseline)", events, ["ott-baseline", input, warehouse("baseline")]),
      measure("ott pipeline, direct runner", events, ["pipeline", "ott", "--input", input, "--warehouse", warehouse("direct")]),
      measure("ott pipeline, 1/4 of the input", Math.ceil(events / 4), ["pipeline", "ott", "--input", small, "--warehouse", warehouse("quarter")]),
    ];
    const base = rate(results[0]);
    console.log(`ott benchmark: ${fmt(events)} events (${(statSync(input).size / 1e6).toFixed(0)} MB JSONL, 1,000 events/s of event time: ${fmt(events / 60_000)} min), ingest + 10 windowed views`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
    console.log("");
    console.log(`${"run".padEnd(36)} ${"events/s".padStart(10)} ${"vs baseline".padStart(12)} ${"peak RSS".padStart(10)}`);
    for (const r of results) {
      console.log(`${r.label.padEnd(36)} ${fmt(rate(r)).padStart(10)} ${`${(rate(r) / base).toFixed(2)}x`.padStart(12)} ${`${fmt(r.maxRssMb)} MB`.padStart(10)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = yargs(process.argv.slice(2))
    .scriptName("npm run bench --")
    .command("alerts", "alerts pipeline vs a plain-Node loop doing the same parse, filter and DuckDB writes")
    .command("conversations", "conversations pipeline vs a plain-Node loop with the same decoder and CombineFn")
    .command("ott", "OTT ingest and every windowed view vs a plain-Node loop with the same decoder and tallies")
    .command("catalog", "catalog pipeline over a generated title.basics.tsv.gz vs DuckDB's own read_csv of it")
    .command("streaming", "Pub/Sub emulator ceiling, pipeline throughput and publish-to-commit latency")
    .demandCommand(1)
    .option("events", { type: "number", default: 1_000_000, describe: "alerts, ott: events in the generated input" })
    .option("messages", { type: "number", describe: "streaming: messages for the throughput runs (100,000); conversations: input lines (1,000,000)" })
    .option("lines", { type: "number", default: 11_000_000, describe: "catalog: lines of the generated title.basics (IMDb's has about 11 million)" })
    .option("eps", { type: "number", default: 2000, describe: "streaming: publish rate of the latency run" })
    .option("seconds", { type: "number", default: 20, describe: "streaming: length of the latency run" })
    .strict()
    .parseSync();
  if (argv._[0] === "streaming") await streamingBenchmark(argv.messages ?? 100_000, argv.eps, argv.seconds);
  else if (argv._[0] === "conversations") await conversationsBenchmark(argv.messages ?? 1_000_000);
  else if (argv._[0] === "ott") await ottBenchmark(argv.events);
  else if (argv._[0] === "catalog") await catalogBenchmark(argv.lines);
  else await alertsBenchmark(argv.events);
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
