/**
 * The flags every pipeline takes: where it runs and what it reads and writes.
 * Their values are the runners' settings, typed from these specs: one type
 * per runner, a union discriminated on `runner`.
 */
import { DEFAULT_WAREHOUSE, DEFAULT_WAREHOUSE_MEMORY_MB } from "../io/sinks/duckdb-sink";
import { DEFAULT_OUTPUT_DIR } from "../io/sinks/jsonl-sink";
import { DEFAULT_DATASET } from "../io/sinks/bigquery-sink";
import { DEFAULT_PROJECT } from "../io/pubsub/names";
import { DEFAULT_RETRY_TIMEOUT_SEC } from "../io/pubsub/connection";
import { optionSpecs, PORTABLE_RUNNERS, Runner, RUNNERS, ValuesOn } from "../pipelines/options";

const DIRECT = ["direct"] as const;
/** Where `--dashboard` and `npm run dashboard` listen unless told. */
export const DEFAULT_DASHBOARD_PORT = 8080;
const DATAFLOW = ["dataflow"] as const;
/** Runners whose rows can go to a local sink (flink and universal: with LOOPBACK workers). */
const LOCAL_SINKS = ["direct", "flink", "universal"] as const;
/** The sinks of this process, for flink and universal with LOOPBACK workers. */
const LOOPBACK_SINKS = ["bigquery", "duckdb", "jsonl", "stdout"] as const;

/** Beam's own rule for service addresses in BEAM_SERVICE_OVERRIDES: no hyphens in host names. */
const HOST_PORT = { regex: "^[a-zA-Z0-9.]+:[0-9]+$", rule: "host:port (letters, digits and dots in the host: the SDK's rule)" };
const GCS_PATH = { regex: "^gs://[a-z0-9][-_.a-z0-9]*[a-z0-9](/.*)?$", rule: "a gs://bucket/path" };
const GCS_OBJECTS = { regex: "^gs://[a-z0-9][-_.a-z0-9]*[a-z0-9]/.+$", rule: "a gs://bucket/objects name or glob (the job reads Cloud Storage)" };

/** Flags every pipeline takes. */
export const COMMON_OPTIONS = optionSpecs([
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
  {
    name: "input",
    type: "string",
    runners: [...LOCAL_SINKS, "dataflow"],
    patternOn: { dataflow: GCS_OBJECTS },
    job: "batch",
    description:
      "Input files: a file or a glob (quote it), .gz files too; JSONL events, or the catalog's IMDb files. Without it, a generated sample is used (direct runner). flink, universal: the catalog's files only, read by its batch job; dataflow: the catalog's gs://bucket/objects (`*` within one folder), read by its batch job.",
  },
  {
    name: "sink",
    local: true,
    type: "string",
    default: "duckdb",
    choices: ["duckdb", "jsonl", "stdout", "bigquery"],
    portable: { choices: ["bigquery"], default: "bigquery", on: { flink: LOOPBACK_SINKS, universal: LOOPBACK_SINKS } },
    description: "Where rows go: the DuckDB warehouse, one JSONL file per table, stdout, or BigQuery (--project, --dataset; the only sink on Dataflow; flink and universal: the local ones with LOOPBACK workers).",
  },
  { name: "warehouse", type: "string", default: DEFAULT_WAREHOUSE, runners: LOCAL_SINKS, onlyWith: { option: "sink", value: "duckdb" }, description: "DuckDB file of the warehouse (--sink=duckdb)." },
  {
    name: "warehouseMemoryMb",
    type: "number",
    default: DEFAULT_WAREHOUSE_MEMORY_MB,
    integer: true,
    min: 16,
    runners: LOCAL_SINKS,
    onlyWith: { option: "sink", value: "duckdb" },
    description: "DuckDB's memory limit for the warehouse, in MiB (--sink=duckdb): written blocks beyond it are evicted from its cache, operations that need more spill to <warehouse>.tmp.",
  },
  { name: "outputDir", type: "string", default: DEFAULT_OUTPUT_DIR, runners: LOCAL_SINKS, onlyWith: { option: "sink", value: "jsonl" }, description: "Directory of the <table>.jsonl files (--sink=jsonl)." },
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
  { name: "subscription", type: "string", job: "streaming", onlyWith: { option: "source", value: "pubsub" }, description: "Subscription to read (--source=pubsub): a name or projects/P/subscriptions/S. Default: the pipeline's." },
  {
    name: "streaming",
    type: "boolean",
    job: "streaming",
    default: false,
    portable: { default: true },
    description: "With --source=pubsub: keep pulling until stopped. Without it the subscription is drained until idle. Portable runners: a streaming job; --streaming=false with a local --sink on flink or universal cancels it once no row came for --idleMs.",
  },
  { name: "maxBatch", type: "number", default: 1000, integer: true, min: 1, runners: DIRECT, description: "Pub/Sub micro-batch: at most this many messages." },
  { name: "batchWindowMs", type: "number", default: 250, integer: true, min: 1, runners: DIRECT, description: "Pub/Sub micro-batch: cut this long after its first message." },
  { name: "idleMs", type: "number", default: 2000, integer: true, min: 0, runners: LOCAL_SINKS, description: "Draining (no --streaming): stop after the subscription was empty this long; flink and universal with a local sink: after no row came for this long." },
  {
    name: "retryTimeoutSec",
    type: "number",
    default: DEFAULT_RETRY_TIMEOUT_SEC,
    integer: true,
    min: 1,
    runners: DIRECT,
    onlyWith: { option: "source", value: "pubsub" },
    description: "With --source=pubsub: a lost Pub/Sub connection (noticed within 5 s, said on the status line) is retried with backoff this long, then the run stops with exit 1.",
  },
  {
    name: "catalogRefreshSec",
    type: "number",
    default: 600,
    integer: true,
    min: 1,
    runners: DIRECT,
    onlyWith: { option: "source", value: "pubsub" },
    description: "Pipelines that read the catalog (ott), with --source=pubsub: re-read title_basics from the warehouse this often; bundles cut after a re-read see its titles (a file or sample reads it once).",
  },
  { name: "seed", type: "number", default: 42, integer: true, min: 0, runners: DIRECT, description: "Seed of the generated sample (no --input): same seed, same events." },
  {
    name: "dashboard",
    type: "number",
    integer: true,
    min: 0,
    max: 65535,
    bare: DEFAULT_DASHBOARD_PORT,
    runners: DIRECT,
    onlyWith: { option: "sink", value: "duckdb" },
    description: `Serve the live dashboard and Prometheus /metrics on this port while the run goes (bare: ${DEFAULT_DASHBOARD_PORT}; 0: any free port), and after a run that ends by itself, until Ctrl-C.`,
  },
  { name: "directNumWorkers", type: "number", default: 1, integer: true, min: 1, runners: DIRECT, description: "Direct runner: threads executing bundles; 1 runs them in the main thread, beside the sink." },
  // Portable runners: Beam's own option names, passed to the SDK as they are.
  {
    name: "timestampAttribute",
    type: "string",
    job: "streaming",
    runners: PORTABLE_RUNNERS,
    pattern: { regex: "^[A-Za-z0-9_-]{1,256}$", rule: "an attribute name" },
    description: "Portable runners: Pub/Sub attribute holding each message's event time (the publisher sets event_time); default: the publish time.",
  },
  {
    name: "paneDelaySec",
    type: "number",
    job: "streaming",
    default: 10,
    integer: true,
    min: 1,
    runners: PORTABLE_RUNNERS,
    description: "Portable runners: every grouping (the conversations per order, the OTT views per window and key) emits an accumulating pane this many seconds of processing time after new input.",
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
  { name: "usePublicIps", type: "boolean", runners: DATAFLOW, template: "environment", description: "Dataflow: give workers public IPs (--usePublicIps=false: private IPs only; the subnetwork needs Private Google Access)." },
  { name: "dataflowKmsKey", type: "string", runners: DATAFLOW, template: "environment", pattern: { regex: "^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", rule: "projects/P/locations/L/keyRings/R/cryptoKeys/K" }, description: "Dataflow: Cloud KMS key protecting the job's state and temporary files." },
  { name: "labels", type: "string", runners: DATAFLOW, template: "environment", pattern: { regex: "^[a-z][-_a-z0-9]*=[-_a-z0-9]*(,[a-z][-_a-z0-9]*=[-_a-z0-9]*)*$", rule: "key=value pairs, comma-separated (lower case, digits, - and _)" }, description: "Dataflow: labels of the job, key=value, comma-separated." },
  { name: "update", type: "boolean", runners: DATAFLOW, template: "environment", description: "Dataflow: replace the running job of the same --jobName, keeping its state." },
  { name: "templateLocation", type: "string", runners: DATAFLOW, template: "environment", description: "Dataflow: write the job request there (a gs:// path, or a local file) instead of creating the job: what a Flex Template launcher does; Dataflow then creates the job." },
  { name: "dataflowEndpoint", type: "string", runners: DATAFLOW, template: "environment", pattern: { regex: "^https?://[^\\s/]+/?$", rule: "an http(s)://host[:port] URL" }, description: "Dataflow: the Dataflow API endpoint the job is created at; default: https://dataflow.googleapis.com." },
  { name: "workerMachineType", type: "string", runners: DATAFLOW, template: "environment", description: "Dataflow: Compute Engine machine type of the workers (e.g. n2-standard-2)." },
  {
    name: "sdkContainerImage",
    type: "string",
    runners: PORTABLE_RUNNERS,
    requiredBy: DATAFLOW,
    template: "environment",
    description: "Portable runners: the TypeScript SDK worker image, built from the root Dockerfile (Node 20 with the project); required on Dataflow: Beam's default docker.io/apache/beam_typescript_sdk:2.49.0 runs Node 16, and the project needs Node 18 or later.",
  },
  { name: "jobName", type: "string", runners: PORTABLE_RUNNERS, template: "environment", pattern: { regex: "^[a-z]([-a-z0-9]*[a-z0-9])?$", rule: "lower-case letters, digits and hyphens, starting with a letter" }, description: "Portable runners: the job's name; default: <pipeline>-<time>." },
  { name: "jobEndpoint", type: "string", runners: ["universal", "flink"], requiredBy: ["universal"], template: "environment", pattern: HOST_PORT, description: "universal: the job service to submit to; flink: a running Beam Flink job server (otherwise its jar is started)." },
  {
    name: "environmentType",
    type: "string",
    choices: ["DOCKER", "LOOPBACK"],
    runners: ["flink", "universal"],
    description: "flink, universal: where the TypeScript workers run: DOCKER (the --sdkContainerImage image) or LOOPBACK (this process, which the job server must reach); default: LOOPBACK with the embedded Flink, DOCKER otherwise.",
  },
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
] as const);

/** The settings of a run on runner R: every common flag that applies there, with its value or default. */
export type SettingsOn<R extends Runner> = { readonly runner: R } & ValuesOn<typeof COMMON_OPTIONS, R>;
export type DirectSettings = SettingsOn<"direct">;
export type DataflowSettings = SettingsOn<"dataflow">;
export type FlinkSettings = SettingsOn<"flink">;
export type UniversalSettings = SettingsOn<"universal">;
export type PortableSettings = DataflowSettings | FlinkSettings | UniversalSettings;
export type RunSettings = DirectSettings | PortableSettings;

/** Settings a runner cannot run with (a combination of flags, an input that is not there): one line for the user, before anything starts. */
export class SettingsError extends Error {}
