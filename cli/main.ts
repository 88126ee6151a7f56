#!/usr/bin/env node
import { parseArgs } from "./args";
import { exitWithError } from "./errors";
import { isExpectedError, runPipeline } from "./run";

/** `npm run pipeline -- <pipeline> [flags]` */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args === "help") return;
  await runPipeline(args);
}

main().catch((error) => exitWithError(error, isExpectedError));
