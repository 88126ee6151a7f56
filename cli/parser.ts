import yargs, { Argv } from "yargs";
import { UsageError } from "./errors";

/**
 * A yargs parser set up the way every command of the project wants it: named
 * for its npm script, no --version, unknown flags refused, and every parse
 * failure turned into a UsageError (one line, exit code 2).
 */
export function commandLine(argv: readonly string[], scriptName: string, usage: string): Argv {
  return yargs([...argv])
    .scriptName(scriptName)
    .usage(usage)
    .version(false)
    .fail((message, error) => {
      throw new UsageError(message ?? error.message);
    });
}
