#!/usr/bin/env node
import { parseCommand } from "./args";
import { exitQuietlyOnBrokenPipe, exitWithError } from "./errors";
import { isExpectedError, runPipeline, startDashboard } from "./run";

/** Resolves at the first SIGINT or SIGTERM. */
const untilStopped = (): Promise<void> =>
  new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });

/** `npm run pipeline -- [pipeline] [flags]`: the named pipeline, or every pipeline one after the other. Says whether a signal stopped it. */
async function main(): Promise<"interrupted" | undefined> {
  exitQuietlyOnBrokenPipe();
  const runs = parseCommand(process.argv.slice(2));
  if (runs === "help") return undefined;
  const dashboard = await startDashboard(runs);
  // Ctrl-C stops a run (runDirect's own handler) and, with it, the dashboard: it keeps serving only after runs that ended by themselves.
  let signalled = false;
  const onSignal = (): void => void (signalled = true);
  if (dashboard) for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, onSignal);
  try {
    for (const run of runs) {
      // A run stopped by a signal ends the command: the pipelines after it do not start.
      if ((await runPipeline(run, dashboard)) === "interrupted") return "interrupted";
    }
    if (dashboard === undefined || signalled) return undefined;
    // Runs that ended by themselves leave their results to look at.
    process.stderr.write(`dashboard: serving ${dashboard.url} until Ctrl-C\n`);
    await untilStopped();
    return undefined;
  } finally {
    for (const signal of ["SIGINT", "SIGTERM"]) process.off(signal, onSignal);
    await dashboard?.close();
  }
}

// A command stopped by a signal ends now: no call still waiting for a frozen Pub/Sub holds the process (what it would have pulled is redelivered).
main().then(
  (ended) => ended === "interrupted" && process.exit(0),
  (error) => exitWithError(error, isExpectedError),
);
