import { Argv } from "yargs";
import { RunnablePipeline } from "../pipelines/definition";
import { isPortable, OptionSpec, OptionValues } from "../pipelines/options";
import { PIPELINES } from "../pipelines/registry";
import { COMMON_OPTIONS, RunSettings } from "../runners/settings";
import { defaultBigQueryProject, PROJECT_HELP } from "../io/bigquery/project";
import { UsageError } from "./errors";
import { commandLine } from "./parser";
import { pickOptions, yargsOption } from "./options";

export interface ParsedArgs {
  pipeline: RunnablePipeline<OptionValues>;
  /** The common flags: where and how the pipeline runs. */
  settings: RunSettings;
  /** The pipeline's own options, by name: the `Options` its graph is expanded with. */
  options: OptionValues;
}

function parser(argv: readonly string[]): Argv {
  let y = commandLine(
    argv,
    "npm run pipeline --",
    "$0 [pipeline] [flags]\n\nRuns a pipeline on Beam. Without --input it runs over a generated sample. Without a pipeline, the direct runner runs every pipeline over its sample, one after the other.",
  )
    .parserConfiguration({ "parse-positional-numbers": false })
    .strict()
    .recommendCommands()
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110));
  for (const spec of COMMON_OPTIONS) y = y.option(spec.name, { ...yargsOption(spec), global: true, group: "Common flags:" });
  for (const definition of Object.values(PIPELINES)) {
    y = y.command(definition.name, definition.description, (sub) => {
      for (const spec of definition.options) sub = sub.option(spec.name, { ...yargsOption(spec), group: `${definition.name} flags:` });
      return sub;
    });
  }
  return y
    .example("$0 --runner=direct", "every pipeline over its generated sample, into .warehouse/warehouse.duckdb")
    .example("$0 alerts", "alerts over a generated sample, into .warehouse/warehouse.duckdb")
    .example("$0 alerts --input 'data/*.jsonl' --bufferThresholdMs 3000", "alerts over files, with a lower threshold")
    .example("$0 alerts --input events.jsonl.gz --sink stdout | head", "alert rows as JSON lines");
}

/**
 * BigQuery's project on the direct runner when --project is not given: found
 * as Google's tools find it (io/bigquery/project.ts), never the Pub/Sub
 * emulator's default; without one the command stops here.
 */
function withBigQueryProject(settings: RunSettings, projectGiven: boolean): RunSettings {
  if (settings.runner !== "direct" || settings.sink !== "bigquery" || projectGiven) return settings;
  const project = defaultBigQueryProject();
  if (project === undefined) throw new UsageError(`--sink=bigquery needs a Google Cloud project: ${PROJECT_HELP}`);
  return { ...settings, project };
}

/** Flags that belong to one pipeline's run, refused when every pipeline runs. */
function checkEveryPipeline(settings: RunSettings): void {
  const names = Object.keys(PIPELINES).join(", ");
  if (settings.runner !== "direct") throw new UsageError(`name the pipeline to submit to --runner=${settings.runner}: ${names}`);
  if (settings.input !== undefined) throw new UsageError(`--input is one pipeline's input: name the pipeline (${names})`);
  if (settings.source === "pubsub" && settings.subscription !== undefined) throw new UsageError(`--subscription is one pipeline's input: name the pipeline (${names})`);
  if (settings.streaming) throw new UsageError(`--streaming runs until stopped: name the pipeline (${names})`);
}

/** On a portable runner a pipeline is one kind of job: a flag of the other kind's (--subscription for the catalog's batch job, --input for a stream) is refused. */
function checkJobKind(pipeline: RunnablePipeline<OptionValues>, settings: RunSettings, parsed: Record<string, unknown>): void {
  if (!isPortable(settings.runner)) return;
  const kind = pipeline.snapshots ? "batch" : "streaming";
  const foreign = (COMMON_OPTIONS as readonly OptionSpec[]).find((spec) => spec.job !== undefined && spec.job !== kind && parsed[spec.name] !== undefined);
  if (foreign !== undefined) throw new UsageError(`--${foreign.name} configures a ${foreign.job} job; ${pipeline.name} on --runner=${settings.runner} is a ${kind} job`);
}

/**
 * Parses the command line into the runs it asks for: the named pipeline's, or
 * without a name (direct runner only) every pipeline's, each with its own
 * options' defaults. Throws UsageError for anything it cannot accept.
 */
export function parseCommand(argv: readonly string[]): ParsedArgs[] | "help" {
  const first = argv.find((arg) => !arg.startsWith("-"));
  if (first !== undefined && first === argv[0] && PIPELINES[first] === undefined) {
    throw new UsageError(`unknown pipeline: ${first} (pipelines: ${Object.keys(PIPELINES).join(", ")})`);
  }
  let helped = false;
  const y = parser(argv).exitProcess(false);
  y.showHelpOnFail(false);
  const parsed = y.parseSync(argv, {}, (error, _argv, output) => {
    if (!error && output) {
      helped = true;
      process.stdout.write(`${output}\n`);
    }
  }) as Record<string, unknown>;
  if (helped) return "help";
  const positional = (parsed._ as (string | number)[]).map(String);
  if (positional.length > 1) throw new UsageError(`unexpected argument: ${positional[1]}`);
  // pickOptions checked every value against the specs RunSettings is inferred from, with the same rules.
  const settings = withBigQueryProject(pickOptions(COMMON_OPTIONS, parsed) as RunSettings, parsed.project !== undefined);
  const name = positional[0];
  if (name === undefined) {
    checkEveryPipeline(settings);
    // No pipeline's own flag can be given here (strict parsing): each runs with its defaults.
    const defaults = (specs: readonly OptionSpec[]): OptionValues => Object.fromEntries(specs.map((spec) => [spec.name, spec.default]));
    return Object.values(PIPELINES).map((pipeline) => ({ pipeline, settings, options: pickOptions(pipeline.options, { ...parsed, ...defaults(pipeline.options) }) }));
  }
  const pipeline = PIPELINES[name];
  if (pipeline === undefined) throw new UsageError(`unknown pipeline: ${name} (pipelines: ${Object.keys(PIPELINES).join(", ")})`);
  checkJobKind(pipeline, settings, parsed);
  return [{ pipeline, settings, options: pickOptions(pipeline.options, parsed) }];
}

/** Parses a command line that names one pipeline (the template launcher's, a benchmark's). */
export function parseArgs(argv: readonly string[]): ParsedArgs | "help" {
  const runs = parseCommand(argv);
  if (runs === "help") return runs;
  if (runs.length !== 1) throw new UsageError(`name a pipeline: ${Object.keys(PIPELINES).join(", ")}`);
  return runs[0];
}
