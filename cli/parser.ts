import yargs, { Argv } from "yargs";
import { UsageError } from "./errors";

/**
 * A yargs parser set up the way every command of the project wants it: named
 * for its npm script, no --version, unknown flags refused, and every parse
 * failure turned into a UsageError (one line, exit code 2).
 */
export function commandLine(argv: readonly string[], scriptName: string, usage: string): Argv {
  const parser: Argv = yargs([...argv])
    .scriptName(scriptName)
    .usage(usage)
    .version(false)
    .fail((message, error) => {
      throw new UsageError(message ?? error.message);
    });
  // yargs reads `--streaming=yes` as false: refuse a switch's value other than true or false.
  return parser.middleware(() => {
    const switches = new Set((parser as unknown as { getOptions(): { boolean: string[] } }).getOptions().boolean);
    for (const token of argv) {
      const given = /^--([^=]+)=(.*)$/.exec(token);
      const isSwitch = given !== null && (switches.has(given[1]) || switches.has(given[1].replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())));
      if (isSwitch && given![2] !== "true" && given![2] !== "false") {
        throw new UsageError(`--${given[1]} is a switch: give it alone, or =true / =false, got "${given[2]}"`);
      }
    }
  }, true);
}
