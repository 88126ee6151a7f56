#!/usr/bin/env node
import { readFile } from "fs/promises";
import { exitQuietlyOnBrokenPipe, exitWithError, UsageError } from "../cli/errors";
import { formatCount } from "../pipelines/format";
import { commandLine } from "../cli/parser";
import { pickOptions, yargsOption } from "../cli/options";
import { OptionsOf, optionSpecs } from "../pipelines/options";
import { PubSubError, pubsubClient } from "../io/pubsub/client";
import { DEFAULT_PROJECT } from "../io/pubsub/names";
import { parseTimestamp } from "../schemas/timestamp";
import { Random } from "../samples/random";
import { KINDS } from "./kinds";
import { paced, replay, Scheduled } from "./schedule";
import { LinesOutput, PublisherOutput, PubSubOutput } from "./outputs";

const OPTIONS = optionSpecs([
  { name: "eps", type: "number", default: 100, min: 0.001, description: "Events per second." },
  { name: "count", type: "number", integer: true, min: 1, description: "Stop after this many events." },
  { name: "duration", type: "number", min: 0.001, description: "Stop after this many seconds." },
  { name: "seed", type: "number", integer: true, min: 0, max: 9_000_000, description: "Same seed, same events (ids start at seed x 10^9 + 1). Random when absent; the run prints it." },
  { name: "startTime", type: "string", description: "Event time of the first event (ISO-8601). Default: now. With --seed, makes a run repeatable to the byte." },
  { name: "file", type: "string", description: "Replay this recorded JSONL file in event-time order instead of generating (any kind)." },
  { name: "speedup", type: "number", min: 0.001, description: "With --file: how much faster than the recorded times (60 = a minute per second). Default 1." },
  { name: "burst", type: "boolean", default: false, description: "Send in batches every 10-60 s, as the players' own publisher does, at the same average rate." },
  { name: "project", type: "string", default: DEFAULT_PROJECT, description: "Pub/Sub project (the emulator's when PUBSUB_EMULATOR_HOST is set)." },
  { name: "topic", type: "string", description: "Topic to publish to (created if missing). Default: the kind's topic." },
  { name: "output", type: "string", default: "pubsub", choices: ["pubsub", "file", "stdout"], description: "Where events go." },
  { name: "out", type: "string", description: "File to append to (with --output file)." },
  { name: "dryRun", type: "boolean", default: false, description: "Same as --output stdout." },
] as const);

/** The flags' values, typed from their specs. */
type PublishOptions = OptionsOf<typeof OPTIONS>;

const TICK_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parse(argv: string[]): { kind: string; o: PublishOptions } {
  if (argv[0] !== undefined && !argv[0].startsWith("-") && KINDS[argv[0]] === undefined) {
    throw new UsageError(`unknown kind: ${argv[0]} (kinds: ${Object.keys(KINDS).join(", ")})`);
  }
  let y = commandLine(argv, "npm run publish --", "$0 <kind> [flags]\n\nGenerates realistic events at a chosen rate and sends them to Pub/Sub, a file or stdout.")
    .strict()
    .demandCommand(1, `name a kind: ${Object.keys(KINDS).join(", ")}`)
    .example("$0 playback --eps 500 --duration 30", "30 s of playback events to the emulator's video-playback-events topic")
    .example("$0 playback --count 5 --seed 1 --dry-run", "five events on stdout");
  for (const [name, kind] of Object.entries(KINDS)) y = y.command(name, kind.description);
  for (const spec of OPTIONS) y = y.option(spec.name, yargsOption(spec));
  const parsed = y.parseSync() as Record<string, unknown>;
  const kind = String((parsed._ as unknown[])[0]);
  if (KINDS[kind] === undefined) throw new UsageError(`unknown kind: ${kind} (kinds: ${Object.keys(KINDS).join(", ")})`);
  if ((parsed._ as unknown[]).length > 1) throw new UsageError(`unexpected argument: ${(parsed._ as unknown[])[1]}`);
  // pickOptions checked every value against the specs PublishOptions is inferred from.
  const given = pickOptions(OPTIONS, parsed) as PublishOptions;
  const o: PublishOptions = given.dryRun ? { ...given, output: "stdout" } : given;
  if (o.output === "file" && !o.out) throw new UsageError("--output file needs --out PATH");
  if (o.out && o.output !== "file") throw new UsageError("--out is for --output file");
  if (o.file !== undefined && (o.seed !== undefined || o.startTime !== undefined)) throw new UsageError("--file replays recorded events: --seed and --startTime are for generated ones");
  if (o.file === undefined && o.speedup !== undefined) throw new UsageError("--speedup is for --file replays; generated events are paced by --eps");
  if (o.startTime !== undefined && parseTimestamp(o.startTime) === null) {
    throw new UsageError(`--startTime must be an ISO-8601 time, got ${JSON.stringify(o.startTime)}`);
  }
  return { kind, o };
}

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--file: cannot read ${path} (${error.code ?? error.message})`);
  });
  return text.split("\n");
}

/** `npm run publish -- <kind> [flags]` */
async function main(): Promise<void> {
  exitQuietlyOnBrokenPipe();
  const { kind: kindName, o } = parse(process.argv.slice(2));
  const kind = KINDS[kindName];
  const seed = o.seed ?? Math.floor(Math.random() * 9_000_000);
  const eps = o.eps;
  const count = o.count ?? Infinity;
  const durationMs = o.duration === undefined ? Infinity : o.duration * 1000;
  const topic = o.topic ?? kind.topic;
  // Read the recording first: a bad --file is a usage error, before any connection.
  const recorded = o.file === undefined ? undefined : await readLines(o.file);
  const output: PublisherOutput =
    o.output === "pubsub"
      ? await PubSubOutput.open(pubsubClient(o.project), o.project, topic)
      : new LinesOutput(o.output === "file" ? `file ${o.out}` : "stdout", o.out);
  const log = o.output === "stdout" ? process.stderr : process.stdout;
  const started = Date.now();
  let schedule: Iterator<Scheduled>;
  if (recorded !== undefined) {
    const speedup = o.speedup ?? 1;
    schedule = replay(recorded, kind, speedup)[Symbol.iterator]();
    log.write(`replaying ${o.file} (${kindName}) to ${output.description} at ${speedup}x\n`);
  } else {
    const startMicros = o.startTime === undefined ? started * 1000 : parseTimestamp(o.startTime)!;
    schedule = paced(kind.generate({ seed, startMicros, eps }), eps);
    log.write(`publishing ${kindName} events to ${output.description}, ${eps}/s${o.burst ? " in bursts" : ""}, seed ${seed}\n`);
  }

  let stopped = false;
  process.once("SIGINT", () => (stopped = true));
  process.once("SIGTERM", () => (stopped = true));

  const random = new Random(seed ^ 0x5eed);
  let sent = 0;
  let nextBurstAt = o.burst ? random.int(10, 60) * 1000 : 0;
  let releasedUntil = 0;
  let next = schedule.next();
  const progress = process.stderr.isTTY && o.output !== "stdout"
    ? setInterval(() => process.stderr.write(`\rsent ${formatCount(sent)} (${formatCount(sent / ((Date.now() - started) / 1000))}/s), errors ${output.errors}   `), 500)
    : undefined;
  while (!stopped && !next.done && sent < count && Date.now() - started < durationMs) {
    const elapsed = Math.min(Date.now() - started, durationMs);
    if (!o.burst) releasedUntil = elapsed;
    else if (elapsed >= nextBurstAt) (releasedUntil = elapsed), (nextBurstAt = elapsed + random.int(10, 60) * 1000);
    while (!next.done && next.value.at <= releasedUntil && sent < count) {
      output.send(next.value.line, kind.attributes(next.value.record, next.value.time));
      sent++;
      if (sent % 1000 === 0) await output.drain(20_000);
      next = schedule.next();
    }
    await sleep(TICK_MS);
  }
  await output.close();
  if (progress) {
    clearInterval(progress);
    process.stderr.write("\n");
  }
  const seconds = (Date.now() - started) / 1000;
  log.write(`sent ${formatCount(output.delivered)} events in ${seconds.toFixed(1)} s (${formatCount(output.delivered / seconds)}/s), ${output.errors} errors${output.firstError ? `: ${output.firstError}` : ""}\n`);
  if (output.errors > 0) process.exitCode = 1;
}

main().catch((error) => exitWithError(error, (e) => e instanceof PubSubError || /ENOENT|EACCES/.test(e.message)));
