import { execFileSync, spawnSync } from "child_process";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "fs";
import { cpus, tmpdir, totalmem } from "os";
import { join } from "path";
import yargs from "yargs";
import { formatCount } from "../cli/format";
import { PlaybackGenerator } from "../publisher/generators/playback";
import { streamingBenchmark } from "./streaming";
import { CONVERSATIONS_START_MICROS, ConversationGenerator } from "../publisher/generators/conversations";

interface Measured {
  label: string;
  events: number;
  ms: number;
  maxRssMb: number;
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

function measure(label: string, events: number, args: string[]): Measured {
  const child = spawnSync(process.execPath, [join(__dirname, "child.js"), ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  const line = child.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (child.status !== 0 || line === undefined) throw new Error(`${label} failed:\n${child.stderr}`);
  const result = JSON.parse(line.slice(6));
  return { label, events, ms: result.ms, maxRssMb: result.maxRssMb };
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

/** Writes a conversations input of about `messages` lines with up to `maxMessages` messages per conversation. */
async function writeConversations(path: string, messages: number, maxMessages: number): Promise<number> {
  const perConversation = (2 + maxMessages) / 2 + 1; // messages on average, plus the order event
  const out = createWriteStream(path);
  let lines = 0;
  const block = 20_000;
  for (let b = 0; lines < messages; b++) {
    const generated = new ConversationGenerator({
      seed: b + 1,
      conversations: Math.min(block, Math.ceil((messages - lines) / perConversation)),
      startMicros: CONVERSATIONS_START_MICROS + b * 3_600_000_000,
      firstOrderId: 10_000_000 + b * block * 7,
      maxMessages,
    }).lines();
    lines += generated.length;
    if (!out.write(generated.join("\n") + "\n")) await new Promise((resolve) => out.once("drain", resolve));
  }
  out.end();
  await new Promise((resolve) => out.on("finish", resolve));
  return lines;
}

/** `npm run bench -- conversations --messages N`: the pipeline beside a plain-Node baseline, and memory vs conversations. */
async function conversationsBenchmark(messages: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bva-bench-"));
  try {
    const input = join(dir, "chats.jsonl"), long = join(dir, "long-chats.jsonl");
    const lines = await writeConversations(input, messages, 5);
    const longLines = await writeConversations(long, messages, 40);
    execFileSync("sync");
    const warehouse = (name: string) => join(dir, `${name}.duckdb`);
    const results = [
      measure("plain Node loop (baseline)", lines, ["conversations-baseline", input, warehouse("baseline")]),
      measure("conversations pipeline, direct runner", lines, ["pipeline", "conversations", "--input", input, "--warehouse", warehouse("direct")]),
      measure("same, 2-40 messages per conversation", longLines, ["pipeline", "conversations", "--input", long, "--warehouse", warehouse("long")]),
    ];
    const base = rate(results[0]);
    console.log(`conversations benchmark: ${fmt(lines)} lines, 2-5 messages per conversation (seed 004's shape); ${fmt(longLines)} lines with 2-40`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
    console.log("");
    console.log(`${"run".padEnd(40)} ${"lines/s".padStart(10)} ${"vs baseline".padStart(12)} ${"peak RSS".padStart(10)}`);
    for (const r of results) {
      console.log(`${r.label.padEnd(40)} ${fmt(rate(r)).padStart(10)} ${`${(rate(r) / base).toFixed(2)}x`.padStart(12)} ${`${fmt(r.maxRssMb)} MB`.padStart(10)}`);
    }
    console.log("");
    console.log("memory: the second and third runs read the same number of lines; the third has about 5x fewer conversations.");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = yargs(process.argv.slice(2))
    .scriptName("npm run bench --")
    .command("alerts", "alerts pipeline vs a plain-Node loop doing the same parse, filter and DuckDB writes")
    .command("conversations", "conversations pipeline vs a plain-Node loop with the same decoder and CombineFn")
    .command("streaming", "Pub/Sub emulator ceiling, pipeline throughput and publish-to-commit latency")
    .demandCommand(1)
    .option("events", { type: "number", default: 1_000_000, describe: "alerts: events in the generated input" })
    .option("messages", { type: "number", describe: "streaming: messages for the throughput runs (100,000); conversations: input lines (1,000,000)" })
    .option("eps", { type: "number", default: 2000, describe: "streaming: publish rate of the latency run" })
    .option("seconds", { type: "number", default: 20, describe: "streaming: length of the latency run" })
    .strict()
    .parseSync();
  if (argv._[0] === "streaming") await streamingBenchmark(argv.messages ?? 100_000, argv.eps, argv.seconds);
  else if (argv._[0] === "conversations") await conversationsBenchmark(argv.messages ?? 1_000_000);
  else await alertsBenchmark(argv.events);
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
