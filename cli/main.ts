#!/usr/bin/env node
import { parseCommand } from "./args";
import { exitQuietlyOnBrokenPipe, exitWithError } from "./errors";
import { isExpectedError, runPipeline } from "./run";

/** `npm run pipeline -- [pipeline] [flags]`: the named pipeline, or every pipeline one after the other. */
async function main(): Promise<void> {
  exitQuietlyOnBrokenPipe();
  const runs = parseCommand(process.argv.slice(2));
  if (runs === "help") return;
  for (const run of runs) {
    // A run stopped by a signal ends the command: the pipelines after it do not start.
    if ((await runPipeline(run)) === "interrupted") return;
  }
}

main().catch((error) => exitWithError(error, isExpectedError));
