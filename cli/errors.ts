import { SettingsError } from "../runners/settings";

/** A bad command line: printed as one line, exit code 2. */
export class UsageError extends Error {}

/**
 * Ends the program for an error: one readable line for what a user can fix
 * (exit 2 for usage, 1 otherwise); the stack only for what must be a bug.
 */
export function exitWithError(error: unknown, expected: (e: Error) => boolean): never {
  const e = error instanceof Error ? error : new Error(String(error));
  // Settings a runner refuses come from the command line too.
  if (e instanceof UsageError || e instanceof SettingsError) {
    process.stderr.write(`error: ${e.message} (see --help)\n`);
    process.exit(2);
  }
  process.stderr.write(expected(e) ? `error: ${e.message}\n` : `error: ${e.stack ?? e.message}\n`);
  process.exit(1);
}

/** `... | head` closes stdout early: end quietly with exit 0, as Unix tools do, instead of an EPIPE stack. */
export function exitQuietlyOnBrokenPipe(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}
