#!/usr/bin/env node
import { DEFAULT_WAREHOUSE, DuckDbSink } from "../io/sinks/duckdb-sink";
import { checkCredentials, PubSubError, pubsubClient, pubsubFailure, subscriberApi } from "../io/pubsub/client";
import { DEFAULT_PROJECT, subscriptionPath, topicPath, TOPICS } from "../io/pubsub/names";
import { moveMessages } from "../io/pubsub/dead-letters";
import { EnsureResult, ensureTopics } from "../io/pubsub/resources";
import { SinkError } from "../io/sinks/sink";
import { warehouseFileProblem } from "../io/sinks/warehouse-file";
import { PIPELINES } from "../pipelines/registry";
import { exitQuietlyOnBrokenPipe, exitWithError, UsageError } from "./errors";
import { commandLine } from "./parser";

/** The pipelines that have Pub/Sub names: topics and subscriptions to ensure, dead letters to replay. */
const READS_PUBSUB = Object.keys(PIPELINES).filter((name) => TOPICS[name] !== undefined);

/** `npm run resources -- ensure | replay-dead-letters`: creates what the pipelines use; moves dead-lettered messages back. */
async function main(): Promise<void> {
  exitQuietlyOnBrokenPipe();
  const argv = commandLine(
    process.argv.slice(2),
    "npm run resources --",
    "$0 <ensure|replay-dead-letters> [flags]\n\nensure: creates what the pipelines read from and write to, where missing (running it again changes nothing). replay-dead-letters: moves the messages in the pipelines' dead-letter subscriptions back to their input topics.",
  )
    .command("ensure", "create missing topics, subscriptions and warehouse tables")
    .command("replay-dead-letters", "move the messages waiting in each pipeline's dead-letter subscription back to its input topic, counting them")
    .demandCommand(1, "say what to do: ensure or replay-dead-letters")
    .option("project", { type: "string", default: DEFAULT_PROJECT, describe: "Pub/Sub project (the emulator's, with PUBSUB_EMULATOR_HOST set)" })
    .option("warehouse", { type: "string", default: DEFAULT_WAREHOUSE, describe: "DuckDB file whose tables to create (ensure)" })
    .option("pipeline", { type: "array", string: true, describe: "Pipelines to prepare (default: all) or replay (default: those reading Pub/Sub)" })
    .example("$0 ensure", "everything, for every pipeline")
    .example("$0 replay-dead-letters --pipeline alerts", "alerts' dead-lettered messages back to video-playback-events")
    .strict()
    .parseSync();
  const replay = argv._[0] === "replay-dead-letters";
  const known = replay ? READS_PUBSUB : Object.keys(PIPELINES);
  const selected = argv.pipeline ?? known;
  const unknown = selected.find((name) => !known.includes(name));
  if (unknown !== undefined) throw new UsageError(`unknown pipeline: ${unknown} (pipelines${replay ? " reading Pub/Sub" : ""}: ${known.join(", ")})`);
  if (replay) return replayDeadLetters(argv.project, selected);
  if (argv._[0] !== "ensure") throw new UsageError(`unknown command: ${argv._[0]} (ensure or replay-dead-letters)`);
  const warehouseProblem = await warehouseFileProblem(argv.warehouse);
  if (warehouseProblem !== undefined) throw new UsageError(warehouseProblem);
  const results: EnsureResult[] = [];
  const withTopics = selected.filter((n) => READS_PUBSUB.includes(n));
  // The catalog alone reads files: no Pub/Sub to reach.
  if (withTopics.length > 0) {
    const pubsub = pubsubClient(argv.project);
    try {
      await checkCredentials(pubsub);
      for (const name of withTopics) {
        results.push(...(await ensureTopics(pubsub, argv.project, TOPICS[name]).catch(pubsubFailure(PubSubError, `project ${argv.project}`))));
      }
    } finally {
      await pubsub.close();
    }
  }
  const sink = new DuckDbSink(argv.warehouse);
  const pipelines = selected.map((name) => PIPELINES[name]);
  const tables = [...new Map(pipelines.flatMap((p) => p.tables.map((t) => [t.name, t]))).values()];
  const merges = new Map(pipelines.flatMap((p) => [...(p.merges ?? new Map())]));
  const views = [...new Map(pipelines.flatMap((p) => (p.views ?? []).map((v) => [v.name, v]))).values()];
  const before = await sink.existingTables();
  await sink.open(tables, merges, views);
  await sink.close();
  for (const table of tables) {
    results.push({ resource: `table ${table.name} in ${argv.warehouse}`, action: before.includes(table.name) ? "exists" : "created" });
  }
  // A view is replaced with its current query every time: "exists" means it was there before.
  for (const view of views) results.push({ resource: `view ${view.name} in ${argv.warehouse}`, action: before.includes(view.name) ? "exists" : "created" });
  for (const r of results) process.stdout.write(`${r.action.padEnd(8)} ${r.resource}\n`);
}

/** Moves each pipeline's dead-lettered messages back to its input topic, one line per pipeline with the count. */
async function replayDeadLetters(project: string, pipelines: readonly string[]): Promise<void> {
  const pubsub = pubsubClient(project);
  const api = await subscriberApi(pubsub);
  try {
    for (const name of pipelines) {
      const names = TOPICS[name];
      const from = subscriptionPath(project, names.deadLetterSubscription);
      const moved = await moveMessages(api, pubsub, from, names.topic).catch(pubsubFailure(PubSubError, `subscription ${from}`));
      process.stdout.write(`moved ${moved} message${moved === 1 ? "" : "s"} from ${from} to ${topicPath(project, names.topic)}\n`);
    }
  } finally {
    await api.close();
    await pubsub.close();
  }
}

main().catch((error) => exitWithError(error, (e) => e instanceof SinkError || e instanceof PubSubError));
