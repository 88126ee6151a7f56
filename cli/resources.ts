#!/usr/bin/env node
import { DEFAULT_WAREHOUSE, DuckDbSink } from "../io/sinks/duckdb-sink";
import { checkCredentials, PubSubError, pubsubClient, pubsubFailure } from "../io/pubsub/client";
import { DEFAULT_PROJECT, TOPICS } from "../io/pubsub/names";
import { EnsureResult, ensureTopics } from "../io/pubsub/resources";
import { SinkError } from "../io/sinks/sink";
import { warehouseFileProblem } from "../io/sinks/warehouse-file";
import { PIPELINES } from "../pipelines/registry";
import { exitQuietlyOnBrokenPipe, exitWithError, UsageError } from "./errors";
import { commandLine } from "./parser";

/** The pipelines that have Pub/Sub names, so something to ensure. */
const READS_PUBSUB = Object.keys(PIPELINES).filter((name) => TOPICS[name] !== undefined);

/** `npm run resources -- ensure`: creates the topics, subscriptions and warehouse tables the pipelines use. */
async function main(): Promise<void> {
  exitQuietlyOnBrokenPipe();
  const argv = commandLine(process.argv.slice(2), "npm run resources --", "$0 ensure [flags]\n\nCreates what the pipelines read from and write to, where missing. Running it again changes nothing.")
    .command("ensure", "create missing topics, subscriptions and warehouse tables")
    .demandCommand(1, "say what to do: ensure")
    .option("project", { type: "string", default: DEFAULT_PROJECT, describe: "Pub/Sub project (the emulator's, with PUBSUB_EMULATOR_HOST set)" })
    .option("warehouse", { type: "string", default: DEFAULT_WAREHOUSE, describe: "DuckDB file whose tables to create" })
    .option("pipeline", { type: "array", string: true, default: READS_PUBSUB, describe: "Pipelines to prepare" })
    .example("$0 ensure", "everything, for every pipeline")
    .strict()
    .parseSync();
  const unknown = argv.pipeline.find((name) => !READS_PUBSUB.includes(name));
  if (unknown !== undefined) throw new UsageError(`unknown pipeline: ${unknown} (pipelines: ${READS_PUBSUB.join(", ")})`);
  const warehouseProblem = await warehouseFileProblem(argv.warehouse);
  if (warehouseProblem !== undefined) throw new UsageError(warehouseProblem);
  const results: EnsureResult[] = [];
  const pubsub = pubsubClient(argv.project);
  try {
    await checkCredentials(pubsub);
    for (const name of argv.pipeline) {
      results.push(...(await ensureTopics(pubsub, argv.project, TOPICS[name]).catch(pubsubFailure(PubSubError, `project ${argv.project}`))));
    }
  } finally {
    await pubsub.close();
  }
  const sink = new DuckDbSink(argv.warehouse);
  const pipelines = argv.pipeline.map((name) => PIPELINES[name]);
  const tables = [...new Map(pipelines.flatMap((p) => p.tables.map((t) => [t.name, t]))).values()];
  const merges = new Map(pipelines.flatMap((p) => [...(p.merges ?? new Map())]));
  const before = await sink.existingTables();
  await sink.open(tables, merges);
  await sink.close();
  for (const table of tables) {
    results.push({ resource: `table ${table.name} in ${argv.warehouse}`, action: before.includes(table.name) ? "exists" : "created" });
  }
  for (const r of results) process.stdout.write(`${r.action.padEnd(8)} ${r.resource}\n`);
}

main().catch((error) => exitWithError(error, (e) => e instanceof SinkError || e instanceof PubSubError));
