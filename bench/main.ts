import { execFileSync, spawnSync } from "child_process";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "fs";
import { cpus, loadavg, tmpdir, totalmem } from "os";
import { join } from "path";
import yargs from "yargs";
import { formatCount } from "../pipelines/format";
import { PlaybackGenerator } from "../samples/playback";
import { streamingBenchmark } from "./streaming";
import { mismatches, showCounts } from "./check";
import { warehouseCounts } from "./warehouse-alone";
import { beamPython } from "../runners/portable/python-beam";
import { ROOT } from "../runners/portable/environment";
import { videoPlaybackAlerts } from "../schemas/playback";
import { customerCourierConversations } from "../schemas/conversations";
import { catalogBenchmark } from "./catalog";
import { CONVERSATIONS_START_MICROS, ConversationGenerator } from "../samples/conversations";
import { OTT_START_MICROS, OttGenerator } from "../samples/ott";

interface Measured {
  label: string;
  events: number;
  ms: number;
  maxRssMb: number;
  liveHeapMb?: number;
  /** What the run computed, for the result check (rows, dead letters, ...). */
  counts?: Record<string, number>;
  /** DuckDB-alone OTT: time of the two views after the ingest. */
  viewsMs?: number;
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
  const { ms, maxRssMb, liveHeapMb, viewsMs, ...counts } = JSON.parse(line.slice(6));
  return { label, events, ms, maxRssMb, liveHeapMb, viewsMs, counts };
}

/** A pipeline run as the CLI runs it, with the counts read back from the warehouse it wrote. */
async function measurePipeline(label: string, events: number, args: string[], warehouse: string, table: string, nodeFlags: string[] = []): Promise<Measured> {
  const run = measure(label, events, [...args, "--warehouse", warehouse], nodeFlags);
  return { ...run, counts: await warehouseCounts(warehouse, table) };
}

/**
 * The Python Beam peer (bench/python/peer.py) over the same file, in the
 * cached Beam Python venv (installed on first use); `beamArgs` choose the
 * direct runner's mode. Peak RSS is the largest of its process and its workers.
 */
function measurePeer(label: string, events: number, pipeline: "alerts" | "conversations", input: string, output: string, beamArgs: string[] = []): Measured {
  const script = join(ROOT, "bench", "python", "peer.py");
  // Worker processes import the rules module by name: it must be on their path too.
  const env = { ...process.env, PYTHONPATH: join(ROOT, "bench", "python") };
  const child = spawnSync(beamPython(), ["-W", "ignore", script, pipeline, input, output, ...beamArgs], { encoding: "utf8", maxBuffer: 1 << 26, env });
  const line = child.stdout.split("\n").find((l) => l.startsWith("PEER "));
  if (child.status !== 0 || line === undefined) throw new Error(`${label} failed:\n${child.stderr.split("\n").slice(-15).join("\n")}`);
  const { ms, maxRssMb, childMaxRssMb, ...counts } = JSON.parse(line.slice(5));
  return { label, events, ms, maxRssMb: Math.max(maxRssMb, childMaxRssMb), counts };
}

/**
 * Python's direct runner as it runs by default (the FnApiRunner, in process)
 * and with two worker processes. The conversations peer runs in process only:
 * with more than one worker, Beam 2.49's FnApiRunner fails on a stage whose
 * input is empty (apache/beam#23228: "'NoneType' object has no attribute
 * 'partition'"), here the dead letters of a file without broken lines.
 */
const PEER_IN_PROCESS: readonly [string, string[]] = ["Python Beam peer, DirectRunner", []];
const PEER_MODES: readonly (readonly [string, string[]])[] = [
  PEER_IN_PROCESS,
  ["Python Beam peer, 2 worker processes", ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]],
];

const rate = (m: Measured): number => (m.events / m.ms) * 1000;
const fmt = formatCount;

/** Load average and CPUs, printed with every table: the machine is shared. */
function conditions(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`;
}

/**
 * The table of a benchmark: rate, ratio to the plain-Node baseline and to
 * DuckDB alone, peak RSS, and the counts each run computed; then the result
 * check against the reference run (our pipeline), which fails the benchmark.
 */
function printTable(unit: string, results: readonly Measured[], baseline: Measured, duckdb: Measured, reference: Measured, countNames: readonly string[]): void {
  const width = Math.max(...results.map((r) => r.label.length)) + 1;
  console.log(`${"run".padEnd(width)} ${unit.padStart(10)} ${"vs baseline".padStart(12)} ${"vs DuckDB".padStart(10)} ${"peak RSS".padStart(10)}  result`);
  for (const r of results) {
    const ratio = (to: Measured) => `${(rate(r) / rate(to)).toFixed(2)}x`.padStart(to === baseline ? 12 : 10);
    console.log(`${r.label.padEnd(width)} ${fmt(rate(r)).padStart(10)} ${ratio(baseline)} ${ratio(duckdb)} ${`${fmt(r.maxRssMb)} MB`.padStart(10)}  ${showCounts(r.counts, countNames)}`);
  }
  if (countNames.length === 0) return;
  const wrong = mismatches(reference.counts ?? {}, results.filter((r) => r !== reference && r.counts?.[countNames[0]] !== undefined));
  console.log("");
  if (wrong.length === 0) console.log(`result check: every run that reports them has the pipeline's ${countNames.join(", ")}`);
  else {
    console.log(`RESULT CHECK FAILED (against "${reference.label}"):\n  ${wrong.join("\n  ")}`);
    process.exitCode = 1;
  }
}

/**
 * `npm run bench -- alerts --events N`: the alerts pipeline beside a
 * plain-Node baseline, DuckDB alone and the Python Beam peer, in one run;
 * then its memory at a quarter and four times the input.
 */
async function alertsBenchmark(events: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bva-bench-"));
  try {
    const input = join(dir, "events.jsonl"), small = join(dir, "small.jsonl"), large = join(dir, "large.jsonl");
    await writeInput(input, events);
    await writeInput(small, Math.ceil(events / 4));
    await writeInput(large, events * 4);
    execFileSync("sync"); // so writing back the inputs does not compete with the runs' fsyncs
    const warehouse = (name: string) => join(dir, `${name}.duckdb`);
    const pipeline = (name: string, label: string, count: number, file: string, extra: string[] = []) =>
      measurePipeline(label, count, ["pipeline", "alerts", "--input", file, ...extra], warehouse(name), videoPlaybackAlerts.name);

    const baseline = { ...measure("plain Node loop (baseline)", events, ["alerts-baseline", input, warehouse("baseline")]), counts: await warehouseCounts(warehouse("baseline"), videoPlaybackAlerts.name) };
    const duckdb = measure("DuckDB alone, INSERT ... SELECT read_json", events, ["duckdb-alerts", input, warehouse("duckdb")]);
    const main = await pipeline("direct", "alerts pipeline, direct runner", events, input);
    const results = [
      baseline,
      duckdb,
      main,
      await pipeline("workers", "alerts pipeline, 2 worker threads", events, input, ["--directNumWorkers", "2"]),
      await pipeline("dashboard", "alerts pipeline, --dashboard (served)", events, input, ["--dashboard", "0"]),
      ...PEER_MODES.map((mode, i) => measurePeer(mode[0], events, "alerts", input, join(dir, `peer-${i}`), mode[1])),
    ];
    const memory = [
      await pipeline("quarter", "alerts pipeline, 1/4 of the input", Math.ceil(events / 4), small),
      main,
      await pipeline("large", "alerts pipeline, 4x the input", events * 4, large),
    ];
    console.log(`alerts benchmark: ${fmt(events)} events (${(statSync(input).size / 1e6).toFixed(0)} MB JSONL, 0.1% broken lines)`);
    console.log(`machine: ${conditions()}, DuckDB file on ${execFileSync("df", ["--output=fstype", dir]).toString().split("\n")[1]}`);
    console.log("");
    printTable("events/s", results, baseline, duckdb, main, ["rows", "dead_letters"]);
    console.log("");
    console.log(`targets: no slower than the plain loop: ${rate(main) >= rate(baseline) ? "met" : "MISSED"} (${(rate(main) / rate(baseline)).toFixed(2)}x); DuckDB alone is ${(rate(duckdb) / rate(main)).toFixed(1)}x the pipeline`);
    const served = results.find((r) => r.label.includes("--dashboard"))!;
    console.log(`--dashboard: ${(rate(served) / rate(main)).toFixed(2)}x the run without it (target: within 5%, that is at least 0.95x)`);
    console.log("");
    console.log("memory against input size (same pipeline):");
    for (const r of memory) console.log(`  ${fmt(r.events).padStart(10)} events  ${fmt(rate(r)).padStart(8)} events/s  peak RSS ${fmt(r.maxRssMb)} MB`);
    const spread = Math.max(...memory.map((r) => r.maxRssMb)) / Math.min(...memory.map((r) => r.maxRssMb)) - 1;
    console.log(`target: peak RSS flat (within 15%) from ${fmt(memory[0].events)} to ${fmt(memory[2].events)} events: ${spread <= 0.15 ? "met" : "MISSED"} (${(spread * 100).toFixed(0)}% apart)`);
    console.log(`finished with load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
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
    const table = customerCourierConversations.name;
    const baseline = { ...measure("plain Node loop (baseline)", lines, ["conversations-baseline", input, warehouse("baseline")]), counts: await warehouseCounts(warehouse("baseline"), table) };
    const duckdb = measure("DuckDB alone, read_json + GROUP BY order", lines, ["duckdb-conversations", input, warehouse("duckdb")]);
    const main = await measurePipeline("conversations pipeline, direct runner", lines, ["pipeline", "conversations", "--input", input], warehouse("direct"), table);
    const results = [
      baseline,
      duckdb,
      main,
      measure("same, 2-40 messages per conversation", longLines, pipeline("long", long)),
      measurePeer(PEER_IN_PROCESS[0], lines, "conversations", input, join(dir, "peer"), PEER_IN_PROCESS[1]),
    ];
    // Forced collections slow a run down, so the live heap has runs of its own.
    const memory = [
      { input: fewer, run: measure("1/4 of the lines, 2-5 messages", fewer.lines, pipeline("m-quarter", quarter), ["--expose-gc"]) },
      { input: longer, run: measure("all lines, 2-40 messages", longLines, pipeline("m-long", long), ["--expose-gc"]) },
      { input: shortConversations, run: measure("all lines, 2-5 messages", lines, pipeline("m-direct", input), ["--expose-gc"]) },
    ];
    console.log(`conversations benchmark: ${fmt(lines)} lines, 2-5 messages per conversation (the reference data's shape); ${fmt(longLines)} lines with 2-40`);
    console.log(`machine: ${conditions()}`);
    console.log("");
    printTable("lines/s", results, baseline, duckdb, main, ["rows", "messages", "answered"]);
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

/**
 * `npm run bench -- ott --events N`: ingest plus every view, beside a
 * plain-Node baseline and DuckDB's own ingest and two views of the same file;
 * with `--large`, also over four times the input (memory against input size).
 */
async function ottBenchmark(events: number, large: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bva-bench-"));
  try {
    const input = join(dir, "ott.jsonl"), small = join(dir, "ott-quarter.jsonl"), big = join(dir, "ott-large.jsonl");
    await writeOttInput(input, events);
    await writeOttInput(small, Math.ceil(events / 4));
    if (large) await writeOttInput(big, events * 4);
    execFileSync("sync");
    const warehouse = (name: string) => join(dir, `${name}.duckdb`);
    const pipeline = (name: string, file: string) => ["pipeline", "ott", "--input", file, "--warehouse", warehouse(name)];
    const baseline = measure("plain Node loop (baseline)", events, ["ott-baseline", input, warehouse("baseline")]);
    const duckdb = measure("DuckDB alone, CREATE TABLE AS read_json", events, ["duckdb-ott", input, warehouse("duckdb")]);
    const results = [
      baseline,
      duckdb,
      measure("ott pipeline, direct runner", events, pipeline("direct", input)),
      measure("ott pipeline, 1/4 of the input", Math.ceil(events / 4), pipeline("quarter", small)),
      ...(large ? [measure("ott pipeline, 4x the input", events * 4, pipeline("large", big))] : []),
    ];
    console.log(`ott benchmark: ${fmt(events)} events (${(statSync(input).size / 1e6).toFixed(0)} MB JSONL, 1,000 events/s of event time: ${fmt(events / 60_000)} min), ingest + 10 windowed views`);
    console.log(`machine: ${conditions()}`);
    console.log("");
    printTable("events/s", results, baseline, duckdb, results[2], []);
    console.log("");
    console.log(`DuckDB alone, two views over the ingested rows (10 s tumbling distinct viewers, 5 min sliding median watch time): ${((duckdb.viewsMs ?? 0) / 1000).toFixed(1)} s, ${fmt(duckdb.counts?.viewRows ?? 0)} rows (included in its peak RSS, not in its rate)`);
    console.log(`finished with load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
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
    .option("large", { type: "boolean", default: false, describe: "ott: also run over four times the input (memory against input size)" })
    .strict()
    .parseSync();
  if (argv._[0] === "streaming") await streamingBenchmark(argv.messages ?? 100_000, argv.eps, argv.seconds);
  else if (argv._[0] === "conversations") await conversationsBenchmark(argv.messages ?? 1_000_000);
  else if (argv._[0] === "ott") await ottBenchmark(argv.events, argv.large);
  else if (argv._[0] === "catalog") await catalogBenchmark(argv.lines);
  else await alertsBenchmark(argv.events);
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
