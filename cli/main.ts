#!/usr/bin/env node
import { parseArgs } from "./args";
import { exitQuietlyOnBrokenPipe, exitWithError } from "./errors";
import { isExpectedError, runPipeline } from "./run";

/** `npm run pipeline -- <pipeline> [flags]` */
async function main(): Promise<void> {
  exitQuietlyOnBrokenPipe();
  const args = parseArgs(process.argv.slice(2));
  if (args === "help") return;
  await runPipeline(args);
}

main().catch((error) => exitWithError(error, isExpectedError));
