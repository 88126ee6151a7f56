/**
 * Every flag, as data: the CLI parser, `--help` and (later) the Dataflow Flex
 * Template metadata are generated from these, so they cannot drift apart.
 * Names follow Beam's own spelling (`--runner`, `--project`, camelCase).
 */
import { Options } from "yargs";
import { DEFAULT_WAREHOUSE } from "../io/sinks/duckdb-sink";
import { DEFAULT_OUTPUT_DIR } from "../io/sinks/jsonl-sink";
import { DEFAULT_DATASET } from "../io/sinks/bigquery-sink";
import { DEFAULT_PROJECT } from "../io/pubsub/names";
import { UsageError } from "./errors";

export interface OptionSpec {
  readonly name: string;
  readonly type: "string" | "number" | "boolean";
  readonly description: string;
  readonly default?: string | number | boolean;
  readonly choices?: readonly string[];
  /** For numbers: whole numbers only. */
  readonly integer?: boolean;
  /** For numbers: the smallest accepted value. */
  readonly min?: number;
  /** For numbers: the largest accepted value. */
  readonly max?: number;
  /** For strings: a regular expression the whole value must match, and the rule it states, for the message. */
  readonly pattern?: { readonly regex: string; readonly rule: string };
  /**
   * Only meaningful when another flag has a value: giving it otherwise is a
   * usage error, and its default applies only then.
   */
  readonly onlyWith?: { readonly option: string; readonly value: string };
}

export type OptionValues = Record<string, string | number | boolean | undefined>;

/** Flags every pipeline takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: "runner", type: "string", default: "direct", choices: ["direct"], description: "Where the pipeline runs: direct = in this process, on Beam's direct runner." },
  { name: "source", type: "string", default: "file", choices: ["file", "pubsub"], description: "file: --input, or the generated sample without it; pubsub: a subscription." },
  { name: "input", type: "string", description: "JSONL input: a file or a glob (quote it), .gz files too. Without it, a generated sample is used." },
  { name: "sink", type: "string", default: "duckdb", choices: ["duckdb", "jsonl", "stdout", "bigquery"], description: "Where rows go: the DuckDB warehouse, one JSONL file per table, stdout, or BigQuery (--project, --dataset)." },
  { name: "warehouse", type: "string", default: DEFAULT_WAREHOUSE, description: "DuckDB file of the warehouse (--sink=duckdb)." },
  { name: "outputDir", type: "string", default: DEFAULT_OUTPUT_DIR, description: "Directory of the <table>.jsonl files (--sink=jsonl)." },
  { name: "project", type: "string", default: DEFAULT_PROJECT, description: "Google Cloud project (with --source=pubsub: the emulator's when PUBSUB_EMULATOR_HOST is set; with --sink=bigquery: the dataset's)." },
  {
    name: "dataset",
    type: "string",
    default: DEFAULT_DATASET,
    pattern: { regex: "^[A-Za-z0-9_]{1,1024}$", rule: "letters, digits and underscores, at most 1,024" },
    onlyWith: { option: "sink", value: "bigquery" },
    description: "BigQuery dataset of the tables (--sink=bigquery); created when missing.",
  },
  { name: "subscription", type: "string", description: "Subscription to read (--source=pubsub): a name or projects/P/subscriptions/S. Default: the pipeline's." },
  { name: "streaming", type: "boolean", default: false, description: "With --source=pubsub: keep pulling until stopped. Without it the subscription is drained until idle." },
  { name: "maxBatch", type: "number", default: 1000, integer: true, min: 1, description: "Pub/Sub micro-batch: at most this many messages." },
  { name: "batchWindowMs", type: "number", default: 250, integer: true, min: 1, description: "Pub/Sub micro-batch: cut this long after its first message." },
  { name: "idleMs", type: "number", default: 2000, integer: true, min: 0, description: "Draining (no --streaming): stop after the subscription was empty this long." },
  { name: "seed", type: "number", default: 42, integer: true, min: 0, description: "Seed of the generated sample (no --input): same seed, same events." },
  { name: "directNumWorkers", type: "number", default: 1, integer: true, min: 1, description: "Direct runner: threads executing bundles; 1 runs them in the main thread, beside the sink." },
];

/** A flag value that is not acceptable, as the one line the CLI prints. */
export function checkOption(spec: OptionSpec, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return `--${spec.name} was given ${value.length} times; give it once`;
  if (spec.type === "number") {
    if (typeof value !== "number" || !Number.isFinite(value)) return `--${spec.name} must be a number, got ${JSON.stringify(value)}`;
    if (spec.integer && !Number.isInteger(value)) return `--${spec.name} must be a whole number, got ${value}`;
    if (spec.min !== undefined && value < spec.min) return `--${spec.name} must be at least ${spec.min}, got ${value}`;
    if (spec.max !== undefined && value > spec.max) return `--${spec.name} must be at most ${spec.max}, got ${value}`;
  }
  if (spec.type === "string" && typeof value !== "string") return `--${spec.name} takes a value`;
  if (spec.pattern && !new RegExp(spec.pattern.regex).test(value as string)) {
    return `--${spec.name} must be ${spec.pattern.rule}, got ${JSON.stringify(value)}`;
  }
  if (spec.choices && !spec.choices.includes(value as string)) {
    return `--${spec.name} must be one of ${spec.choices.join(", ")}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/**
 * The yargs declaration of a flag. Numbers and choices are checked by
 * `checkOption`, not yargs, so every bad value gets the same one-line message
 * (yargs turns "abc" into NaN and prints choices over several lines).
 */
export function yargsOption(spec: OptionSpec): Options {
  const choices = spec.choices ? ` [choices: ${spec.choices.join(", ")}]` : "";
  // A conditional flag's default is applied by pickOptions, so a flag given by hand can be told apart.
  const conditionalDefault = spec.onlyWith && spec.default !== undefined ? ` [default: ${spec.default}]` : "";
  return {
    // No yargs type for numbers: it would turn "abc" into NaN; its own number parsing keeps "abc" as text.
    type: spec.type === "number" ? undefined : spec.type,
    describe: spec.description + choices + conditionalDefault,
    default: spec.onlyWith ? undefined : spec.default,
    requiresArg: spec.type !== "boolean",
  };
}

/** The values of `specs` in parsed argv, each checked; the first bad one throws its line as a UsageError. */
export function pickOptions(specs: readonly OptionSpec[], argv: Record<string, unknown>): OptionValues {
  const values: OptionValues = {};
  for (const spec of specs) {
    const value = argv[spec.name];
    const problem = checkOption(spec, value);
    if (problem) throw new UsageError(problem);
    values[spec.name] = value as OptionValues[string];
  }
  for (const spec of specs) {
    if (!spec.onlyWith) continue;
    const needed = spec.onlyWith;
    if (values[needed.option] !== needed.value) {
      if (values[spec.name] !== undefined) throw new UsageError(`--${spec.name} needs --${needed.option}=${needed.value}`);
    } else if (values[spec.name] === undefined) values[spec.name] = spec.default;
  }
  return values;
}
