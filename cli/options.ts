/**
 * Every flag, as data: the CLI parser, `--help` and the Dataflow Flex
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
  /**
   * Runners the flag applies to (default: every runner). Given with another
   * runner it is a usage error; its default applies on these runners only.
   */
  readonly runners?: readonly Runner[];
  /** Runners that cannot start without it (its default does not apply there): checked before anything starts. */
  readonly requiredBy?: readonly Runner[];
  /** On the portable runners, when it differs from the direct runner: the values allowed there, and the default. */
  readonly portable?: { readonly choices?: readonly string[]; readonly default: string | boolean };
  /**
   * "environment": not a Flex Template parameter, because `gcloud dataflow
   * flex-template run` sets it with its own flags (--region, --temp-location,
   * ...) and the launcher passes it on, or the launcher image sets it.
   */
  readonly template?: "environment";
  /** Configures this program, not the job: portable runners do not pass it to the SDK. */
  readonly local?: true;
}

/** Where a pipeline runs: Beam's direct runner in this process, or a portable runner (runners/portable/). */
export const RUNNERS = ["direct", "dataflow", "flink", "universal"] as const;
export type Runner = (typeof RUNNERS)[number];
export const PORTABLE_RUNNERS: readonly Runner[] = ["dataflow", "flink", "universal"];
const DIRECT: readonly Runner[] = ["direct"];
const DATAFLOW: readonly Runner[] = ["dataflow"];

/** Beam's own rule for service addresses in BEAM_SERVICE_OVERRIDES: no hyphens in host names. */
const HOST_PORT = { regex: "^[a-zA-Z0-9.]+:[0-9]+$", rule: "host:port (letters, digits and dots in the host: the SDK's rule)" };
const GCS_PATH = { regex: "^gs://[a-z0-9][-_.a-z0-9]*[a-z0-9](/.*)?$", rule: "a gs://bucket/path" };

export type OptionValues = Record<string, string | number | boolean | undefined>;

/** Flags every pipeline takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  {
    name: "runner",
    local: true,
    type: "string",
    default: "direct",
    choices: RUNNERS,
    template: "environment",
    description: "Where the pipeline runs: direct = in this process, on Beam's direct runner; dataflow, flink, universal = Beam's portable runner (docs/runners.md).",
  },
  {
    name: "source",
    local: true,
    type: "string",
    default: "file",
    choices: ["file", "pubsub"],
    portable: { choices: ["pubsub"], default: "pubsub" },
    description: "file: --input, or the generated sample without it; pubsub: a subscription (the only source on portable runners).",
  },
  { name: "input", type: "string", runners: DIRECT, description: "JSONL input: a file or a glob (quote it), .gz files too. Without it, a generated sample is used." },
  {
    name: "sink",
    local: true,
    type: "string",
    default: "duckdb",
    choices: ["duckdb", "jsonl", "stdout", "bigquery"],
    portable: { choices: ["bigquery"], default: "bigquery" },
    description: "Where rows go: the DuckDB warehouse, one JSONL file per table, stdout, or BigQuery (--project, --dataset; the only sink on portable runners).",
  },
  { name: "warehouse", type: "string", default: DEFAULT_WAREHOUSE, runners: DIRECT, onlyWith: { option: "sink", value: "duckdb" }, description: "DuckDB file of the warehouse (--sink=duckdb)." },
  { name: "outputDir", type: "string", default: DEFAULT_OUTPUT_DIR, runners: DIRECT, onlyWith: { option: "sink", value: "jsonl" }, description: "Directory of the <table>.jsonl files (--sink=jsonl)." },
  {
    name: "project",
    type: "string",
    default: DEFAULT_PROJECT,
    requiredBy: DATAFLOW,
    description: "Google Cloud project (with --source=pubsub: the emulator's when PUBSUB_EMULATOR_HOST is set; with --sink=bigquery: the dataset's; --runner=dataflow: the job's, required).",
  },
  {
    name: "dataset",
    type: "string",
    default: DEFAULT_DATASET,
    pattern: { regex: "^[A-Za-z0-9_]{1,1024}$", rule: "letters, digits and underscores, at most 1,024" },
    onlyWith: { option: "sink", value: "bigquery" },
    description: "BigQuery dataset of the tables (--sink=bigquery); created when missing.",
  },
  { name: "subscription", type: "string", onlyWith: { option: "source", value: "pubsub" }, description: "Subscription to read (--source=pubsub): a name or projects/P/subscriptions/S. Default: the pipeline's." },
  {
    name: "streaming",
    type: "boolean",
    default: false,
    portable: { default: true },
    description: "With --source=pubsub: keep pulling until stopped. Without it the subscription is drained until idle. Portable runners: always a streaming job.",
  },
  { name: "maxBatch", type: "number", default: 1000, integer: true, min: 1, runners: DIRECT, description: "Pub/Sub micro-batch: at most this many messages." },
  { name: "batchWindowMs", type: "number", default: 250, integer: true, min: 1, runners: DIRECT, description: "Pub/Sub micro-batch: cut this long after its first message." },
  { name: "idleMs", type: "number", default: 2000, integer: true, min: 0, runners: DIRECT, description: "Draining (no --streaming): stop after the subscription was empty this long." },
  { name: "seed", type: "number", default: 42, integer: true, min: 0, runners: DIRECT, description: "Seed of the generated sample (no --input): same seed, same events." },
  { name: "directNumWorkers", type: "number", default: 1, integer: true, min: 1, runners: DIRECT, description: "Direct runner: threads executing bundles; 1 runs them in the main thread, beside the sink." },
  // Portable runners: Beam's own option names, passed to the SDK as they are.
  {
    name: "timestampAttribute",
    type: "string",
    runners: PORTABLE_RUNNERS,
    pattern: { regex: "^[A-Za-z0-9_-]{1,256}$", rule: "an attribute name" },
    description: "Portable runners: Pub/Sub attribute holding each message's event time (the publisher sets event_time); default: the publish time.",
  },
  {
    name: "paneWindowSec",
    type: "number",
    default: 60,
    integer: true,
    min: 1,
    runners: PORTABLE_RUNNERS,
    description: "Portable runners: the input is cut into fixed windows of this many seconds, so a grouping in the global window emits one pane per key and window (as the direct runner does per bundle).",
  },
  { name: "region", type: "string", runners: DATAFLOW, requiredBy: DATAFLOW, template: "environment", pattern: { regex: "^[a-z]+-[a-z]+[0-9]+$", rule: "a region such as europe-west1" }, description: "Dataflow: the job's region." },
  { name: "tempLocation", type: "string", runners: PORTABLE_RUNNERS, requiredBy: DATAFLOW, template: "environment", pattern: GCS_PATH, description: "Dataflow: gs:// path for temporary files (also BigQuery's)." },
  { name: "stagingLocation", type: "string", runners: DATAFLOW, template: "environment", pattern: GCS_PATH, description: "Dataflow: gs:// path for the staged packages; default: under --tempLocation." },
  { name: "serviceAccountEmail", type: "string", runners: DATAFLOW, template: "environment", pattern: { regex: "^[^@\\s]+@[^@\\s]+$", rule: "a service account e-mail" }, description: "Dataflow: the identity workers run as (Terraform output serviceAccountEmail)." },
  { name: "network", type: "string", runners: DATAFLOW, template: "environment", description: "Dataflow: VPC network of the workers." },
  { name: "subnetwork", type: "string", runners: DATAFLOW, template: "environment", description: "Dataflow: subnetwork of the workers (regions/R/subnetworks/S or a full URL)." },
  { name: "numWorkers", type: "number", integer: true, min: 1, runners: DATAFLOW, template: "environment", description: "Dataflow: workers at start." },
  { name: "maxNumWorkers", type: "number", integer: true, min: 1, runners: DATAFLOW, template: "environment", description: "Dataflow: autoscaling ceiling." },
  { name: "enableStreamingEngine", type: "boolean", runners: DATAFLOW, template: "environment", description: "Dataflow: run the streaming job on Streaming Engine (state and shuffle off the workers)." },
  { name: "experiments", type: "string", runners: DATAFLOW, template: "environment", description: "Dataflow: experiments, comma-separated (use_sibling_sdk_workers is always added, as the SDK's Dataflow runner does)." },
  { name: "workerMachineType", type: "string", runners: DATAFLOW, template: "environment", description: "Dataflow: Compute Engine machine type of the workers (e.g. n2-standard-2)." },
  {
    name: "sdkContainerImage",
    type: "string",
    runners: PORTABLE_RUNNERS,
    template: "environment",
    description: "Portable runners: the TypeScript SDK worker image; default docker.io/apache/beam_typescript_sdk:2.49.0 (the root Dockerfile builds one with the project).",
  },
  { name: "jobName", type: "string", runners: PORTABLE_RUNNERS, template: "environment", pattern: { regex: "^[a-z]([-a-z0-9]*[a-z0-9])?$", rule: "lower-case letters, digits and hyphens, starting with a letter" }, description: "Portable runners: the job's name; default: <pipeline>-<time>." },
  { name: "jobEndpoint", type: "string", runners: ["universal", "flink"], requiredBy: ["universal"], template: "environment", pattern: HOST_PORT, description: "universal: the job service to submit to; flink: a running Beam Flink job server (otherwise its jar is started)." },
  { name: "flinkMaster", type: "string", default: "[auto]", runners: ["flink"], template: "environment", description: "flink: the Flink master (host:port); [auto]: the job server's own (with --jobEndpoint), or an embedded Flink in this process; [local]: embedded." },
  {
    name: "expansionService",
    local: true,
    type: "string",
    runners: PORTABLE_RUNNERS,
    template: "environment",
    pattern: { regex: "^([a-zA-Z0-9.]+:[0-9]+|.+\\.jar)$", rule: "host:port of a running expansion service, or the path of its jar" },
    description: "Portable runners: the GCP expansion service (Pub/Sub read, BigQuery write); default: the SDK downloads Beam's jar from Maven Central and runs it with java.",
  },
];

/** A flag value that is not acceptable, as the one line the CLI prints. */
export function checkOption(spec: OptionSpec, value: unknown, runner: string = "direct"): string | undefined {
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
  const choices = choicesOn(spec, runner);
  if (choices && !choices.includes(value as string)) {
    const where = choices === spec.choices ? "" : ` on --runner=${runner}`;
    return `--${spec.name} must be ${choices.length === 1 ? choices[0] : `one of ${choices.join(", ")}`}${where}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

export const isPortable = (runner: unknown): boolean => PORTABLE_RUNNERS.includes(runner as Runner);

/** The values a flag accepts on a runner. */
export function choicesOn(spec: OptionSpec, runner: string): readonly string[] | undefined {
  return isPortable(runner) && spec.portable?.choices ? spec.portable.choices : spec.choices;
}

/** Whether a flag means anything on a runner. */
export const appliesTo = (spec: OptionSpec, runner: string): boolean => spec.runners === undefined || spec.runners.includes(runner as Runner);

/** Its default depends on the runner (or on another flag), so pickOptions applies it, not yargs: a flag given by hand can be told apart. */
const defaultedLater = (spec: OptionSpec): boolean => Boolean(spec.onlyWith || spec.runners || spec.requiredBy || spec.portable);

/**
 * The yargs declaration of a flag. Numbers and choices are checked by
 * `checkOption`, not yargs, so every bad value gets the same one-line message
 * (yargs turns "abc" into NaN and prints choices over several lines).
 */
export function yargsOption(spec: OptionSpec): Options {
  const choices = spec.choices ? ` [choices: ${spec.choices.join(", ")}]` : "";
  const conditionalDefault = defaultedLater(spec) && spec.default !== undefined ? ` [default: ${spec.default}]` : "";
  return {
    // No yargs type for numbers: it would turn "abc" into NaN; its own number parsing keeps "abc" as text.
    type: spec.type === "number" ? undefined : spec.type,
    describe: spec.description + choices + conditionalDefault,
    default: defaultedLater(spec) ? undefined : spec.default,
    requiresArg: spec.type !== "boolean",
  };
}

/** "--a", "--a and --b", "--a, --b and --c" */
const flagList = (names: readonly string[]): string => {
  const flags = names.map((n) => `--${n}`);
  return flags.length === 1 ? flags[0] : `${flags.slice(0, -1).join(", ")} and ${flags[flags.length - 1]}`;
};

/**
 * The values of `specs` in parsed argv, each checked against the runner
 * (`--runner`, direct by default); the first problem throws its line as a
 * UsageError. Runner-dependent defaults are applied here; flags a runner
 * needs are checked here, so nothing starts without them.
 */
export function pickOptions(specs: readonly OptionSpec[], argv: Record<string, unknown>): OptionValues {
  const runner = typeof argv.runner === "string" ? argv.runner : "direct";
  const values: OptionValues = {};
  const missing: string[] = [];
  for (const spec of specs) {
    const value = argv[spec.name];
    if (!appliesTo(spec, runner)) {
      if (value !== undefined) throw new UsageError(`--${spec.name} applies to --runner=${spec.runners!.join("|")} only`);
      continue;
    }
    const problem = checkOption(spec, value, runner);
    if (problem) throw new UsageError(problem);
    if (value === undefined && spec.requiredBy?.includes(runner as Runner)) missing.push(spec.name);
    else if (value === undefined && defaultedLater(spec) && !spec.onlyWith) values[spec.name] = isPortable(runner) && spec.portable ? spec.portable.default : spec.default;
    else values[spec.name] = value as OptionValues[string];
  }
  if (missing.length > 0) throw new UsageError(`--runner=${runner} needs ${flagList(missing)}`);
  for (const spec of specs) {
    if (!spec.onlyWith || !appliesTo(spec, runner)) continue;
    const needed = spec.onlyWith;
    if (values[needed.option] !== needed.value) {
      if (values[spec.name] !== undefined) throw new UsageError(`--${spec.name} needs --${needed.option}=${needed.value}`);
    } else if (values[spec.name] === undefined) values[spec.name] = spec.default;
  }
  return values;
}
