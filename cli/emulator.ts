#!/usr/bin/env node
import { startEmulator } from "../io/pubsub/emulator";
import { DEFAULT_PROJECT } from "../io/pubsub/names";
import { exitWithError } from "./errors";
import { commandLine } from "./parser";

/** `npm run emulator`: the real Pub/Sub emulator on a free loopback port, until Ctrl-C. */
async function main(): Promise<void> {
  const argv = commandLine(process.argv.slice(2), "npm run emulator --", "$0 [--project ID]\n\nStarts the Pub/Sub emulator on a free loopback port and prints the environment to export.")
    .option("project", { type: "string", default: DEFAULT_PROJECT, describe: "Project id the emulator serves" })
    .strict()
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
