#!/usr/bin/env node
import { PIPELINES } from "../pipelines/registry";
import { COMMON_OPTIONS } from "../runners/settings";
import { parseArgs } from "./args";
import { exitWithError, UsageError } from "./errors";
import { isExpectedError, runPipeline } from "./run";

/**
 * The Flex Template launcher's entry point (templates/launcher.py execs it).
 * Dataflow's Python launcher passes the launch environment as Python
 * pipeline options (`--temp_location=...`, `--runner=DataflowRunner`, ...)
 * followed by the template parameters (`--name=value`, our flags): this turns
 * them into our command line for `--runner=dataflow`.
 */

/** Python spellings the launcher may use whose flag here has another name. */
const ALIASES: Record<string, string> = { machineType: "workerMachineType", maxWorkers: "maxNumWorkers" };

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

interface LaunchCommandLine {
  /** The CLI's arguments. */
  readonly argv: string[];
  /** Launcher options with no flag here, left out (reported on stderr, not fatal: the launch environment may grow). */
  readonly ignored: string[];
}

/** The CLI's command line for a launcher's arguments; a flag given twice keeps its last value (the template parameter). */
export function launchCommandLine(pipeline: string, launcherArgs: readonly string[]): LaunchCommandLine {
  const definition = PIPELINES[pipeline];
  if (definition === undefined) throw new UsageError(`unknown pipeline: ${pipeline} (pipelines: ${Object.keys(PIPELINES).join(", ")})`);
  const known = new Set([...COMMON_OPTIONS, ...definition.options].map((s) => s.name));
  const values = new Map<string, string>();
  const ignored: string[] = [];
  for (let i = 0; i < launcherArgs.length; i++) {
    const arg = launcherArgs[i];
    if (!arg.startsWith("--")) {
      ignored.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const raw = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let value = eq < 0 ? "true" : arg.slice(eq + 1);
    if (eq < 0 && i + 1 < launcherArgs.length && !launcherArgs[i + 1].startsWith("--")) value = launcherArgs[++i];
    const name = ALIASES[camel(raw)] ?? camel(raw);
    if (name === "runner") continue; // DataflowRunner: this launcher is for --runner=dataflow
    if (known.has(name)) values.set(name, value);
    else ignored.push(`--${raw}`);
  }
  return { argv: [pipeline, "--runner=dataflow", ...[...values].map((entry) => `--${entry[0]}=${entry[1]}`)], ignored };
}

/** `node dist/cli/flex-launch.js <pipeline> [launcher arguments]` */
async function main(): Promise<void> {
  const pipeline = process.argv[2] ?? "";
  const command = launchCommandLine(pipeline, process.argv.slice(3));
  if (command.ignored.length > 0) process.stderr.write(`flex template launcher: ignoring ${command.ignored.join(" ")}\n`);
  const args = parseArgs(command.argv);
  if (args === "help") return;
  await runPipeline(args);
}

if (require.main === module) main().catch((error) => exitWithError(error, isExpectedError));
