#!/usr/bin/env node
import yargs from "yargs";
import { startEmulator } from "../io/pubsub/emulator";
import { DEFAULT_PROJECT } from "../io/pubsub/names";
import { exitWithError, UsageError } from "./errors";

/** `npm run emulator`: the real Pub/Sub emulator on a free loopback port, until Ctrl-C. */
async function main(): Promise<void> {
  const argv = yargs(process.argv.slice(2))
    .scriptName("npm run emulator --")
    .usage("$0 [--project ID]\n\nStarts the Pub/Sub emulator on a free loopback port and prints the environment to export.")
    .option("project", { type: "string", default: DEFAULT_PROJECT, describe: "Project id the emulator serves" })
    .strict()
    .version(false)
    .fail((message, error) => {
      throw new UsageError(message ?? error.message);
    })
    .parseSync();
  const emulator = await startEmulator(argv.project);
  process.stdout.write(
    [
      `Pub/Sub emulator listening on ${emulator.host} (project ${emulator.project}). In another terminal:`,
      "",
      `  export PUBSUB_EMULATOR_HOST=${emulator.host}`,
      `  export PUBSUB_PROJECT_ID=${emulator.project}`,
      "",
      "Ctrl-C stops it (its topics and messages are in memory and go with it).",
      "",
    ].join("\n"),
  );
  const stop = async () => {
    await emulator.stop();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error) => exitWithError(error, () => true));
