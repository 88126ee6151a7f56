import { Argv } from "yargs";
import { RunnablePipeline } from "../pipelines/definition";
import { OptionValues } from "../pipelines/options";
import { PIPELINES } from "../pipelines/registry";
import { COMMON_OPTIONS, RunSettings } from "../runners/settings";
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
  let y = commandLine(argv, "npm run pipeline --", "$0 <pipeline> [flags]\n\nRuns a pipeline on Beam. Without --input it runs over a generated sample.")
    .parserConfiguration({ "parse-positional-numbers": false })
    .strict()
    .demandCommand(1, `name a pipeline: ${Object.keys(PIPELINES).join(", ")}`)
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
    .example("$0 alerts", "alerts over a generated sample, into .warehouse/warehouse.duckdb")
    .example("$0 alerts --input 'data/*.jsonl' --bufferThresholdMs 3000", "alerts over files, with a lower threshold")
    .example("$0 alerts --input events.jsonl.gz --sink stdout | head", "alert rows as JSON lines");
}

/** Parses the command line; throws UsageError for anything it cannot accept. */
export function parseArgs(argv: readonly string[]): ParsedArgs | "help" {
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
  const name = positional[0];
  const pipeline = PIPELINES[name];
  if (pipeline === undefined) throw new UsageError(`unknown pipeline: ${name} (pipelines: ${Object.keys(PIPELINES).join(", ")})`);
  // pickOptions checked every value against the specs RunSettings is inferred from, with the same rules.
  const settings = pickOptions(COMMON_OPTIONS, parsed) as RunSettings;
  return { pipeline, settings, options: pickOptions(pipeline.options, parsed) };
}
