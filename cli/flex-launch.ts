#!/usr/bin/env node
import { PIPELINES } from "../pipelines/registry";
import { COMMON_OPTIONS } from "../runners/settings";
import { parseArgs } from "./args";
import { exitWithError, UsageError } from "./errors";
import { isExpectedError, runPipeline } from "./run";

/**
 * The Flex Template launcher's entry point (templates/launcher.py execs it).
 * Dataflow's Python launcher runs the launcher file with the launch
 * environment as Beam Python pipeline options (`--temp_location=...`,
 * `--runner=DataflowRunner`, `--template_location=gs://...`, ...) and the
 * template parameters (`--name=value`, our flags). This turns them into our
 * `--runner=dataflow` command line. With `--template_location` the job
 * request is written there and nothing is created: Dataflow creates the job
 * from that file, with its own identity (the launcher contract).
 */

/** Python spellings whose flag here has another name. */
const ALIASES: Record<string, string> = {
  machineType: "workerMachineType",
  maxWorkers: "maxNumWorkers",
  workerHarnessContainerImage: "sdkContainerImage",
};

/** Flags Python's parser lets repeat, each occurrence adding to the list (`action='append'`): they accumulate here too. */
const REPEATED = new Set(["experiments", "labels"]);

/** Python's negative boolean spellings: `--no_use_public_ips` is `--usePublicIps=false`. */
const NEGATED: Record<string, string> = { noUsePublicIps: "usePublicIps" };

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** `{"k":"v"}` (how Java-style launchers pass labels) as k=v. */
function labelPairs(value: string): string {
  if (!value.startsWith("{")) return value;
  const labels = JSON.parse(value) as Record<string, string>;
  return Object.keys(labels).map((k) => `${k}=${labels[k]}`).join(",");
}

interface LaunchCommandLine {
  /** The CLI's arguments. */
  readonly argv: string[];
  /** Launcher options with no flag here, left out (reported on stderr, not fatal: the launch environment may grow). */
  readonly ignored: string[];
}

/**
 * The CLI's command line for a launcher's arguments. A flag given twice keeps
 * its last value (the template parameter wins over the environment), but
 * experiments and labels accumulate; an empty value (`--subscription=`, an
 * optional parameter left blank) is no value at all.
 */
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
    let name = ALIASES[camel(raw)] ?? camel(raw);
    if (NEGATED[name] !== undefined) {
      name = NEGATED[name];
      value = "false";
    }
    if (name === "runner") continue; // DataflowRunner: this launcher is for --runner=dataflow
    if (!known.has(name)) {
      ignored.push(`--${raw}`);
      continue;
    }
    if (value === "") continue;
    if (name === "labels") value = labelPairs(value);
    const before = values.get(name);
    values.set(name, REPEATED.has(name) && before !== undefined ? `${before},${value}` : value);
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
