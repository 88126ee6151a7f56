// The SDK's root first: its runner modules, when loaded before it, hit a require cycle (pvalue.js: "Class extends value undefined").
import "apache-beam";
import { flinkRunner } from "apache-beam/runners/flink";
import { PortableRunner } from "apache-beam/runners/portable_runner/runner";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { Pipeline as PipelineProto } from "apache-beam/proto/beam_runner_api";
import { PythonService, Service, SubprocessService } from "apache-beam/utils/service";
import { subscriptionOf } from "../../io/pubsub/names";
import { PipelineDefinition } from "../../pipelines/definition";
import { OptionSpec, OptionValues } from "../../pipelines/options";
import { COMMON_OPTIONS, PortableSettings, SettingsError } from "../settings";
import { delimiter, join } from "path";
import { beamPackageDir, DEFAULT_SDK_IMAGE, npmPack, ROOT, withDockerEnvironment, workerArtifacts } from "./environment";
import { PortableIo, portablePipelineProto } from "./graph";

/** The SDK's key for the GCP expansion service in BEAM_SERVICE_OVERRIDES (Pub/Sub and BigQuery IO). */
export const GCP_EXPANSION_SERVICE = "sdks:java:io:google-cloud-platform:expansion-service:shadowJar";
/**
 * The Dataflow job service: Beam's Python one (what the SDK's Dataflow runner
 * starts), through a module of ours that fixes integer options and template
 * launches (runners/portable/python/). Its key in BEAM_SERVICE_OVERRIDES is `python:<module>`.
 */
export const DATAFLOW_JOB_SERVICE = "beam_video_dataflow_job_service";
const PYTHON_MODULES = join(ROOT, "runners", "portable", "python");
/** Flink masters for which the SDK runs the workers in this process (LOOPBACK). */
const EMBEDDED_FLINK = ["[local]", "[auto]"];

const COMMON: readonly OptionSpec[] = COMMON_OPTIONS;
const LOCAL_FLAGS = new Set(COMMON.filter((o) => o.local).map((o) => o.name));

type SdkOptions = Record<string, string | number | boolean | string[]>;

/** A step of a portable run that failed for a reason outside this program (a service down, a refusal): one line for the user. */
export class PortableRunError extends Error {}

/** Runs a step; its failure becomes a PortableRunError saying which step, with the cause's first line. */
async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PortableRunError(`${what} failed: ${message.split("\n")[0]}`);
  }
}

/** Settings a portable run cannot take: checked before anything starts. */
function checkPortable(settings: PortableSettings): void {
  if (!settings.streaming) throw new SettingsError(`--runner=${settings.runner} reads Pub/Sub, an unbounded source: the job is a streaming job, --streaming=false is not possible`);
}

/** `<pipeline>-<UTC time>`: Dataflow's job name rule (lower case, digits, hyphens). */
function defaultJobName(pipeline: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${pipeline.replace(/[^a-z0-9]+/g, "-")}-${stamp}`;
}

const commaList = (value: unknown): string[] => ((value as string | undefined) ?? "").split(",").filter((e) => e !== "");

/**
 * The options the SDK submits with the job (`beam:option:<snake_case>:v1`):
 * Beam's own names as given, the pipeline's flags, and the defaults this
 * runner needs. Never an undefined value: the SDK's Struct.fromJson crashes
 * on one.
 */
export function sdkOptions(pipeline: string, options: OptionValues, settings: PortableSettings, now: Date = new Date()): SdkOptions {
  const out: SdkOptions = {};
  const add = (values: OptionValues): void => {
    for (const name of Object.keys(values)) {
      const value = values[name];
      if (value !== undefined && !LOCAL_FLAGS.has(name)) out[name] = value;
    }
  };
  add(settings);
  add(options);
  out.jobName = settings.jobName ?? defaultJobName(pipeline, now);
  out.streaming = true;
  // What the SDK's own Dataflow runner adds: the Java IO steps run in their own SDK container beside the TypeScript one.
  if (settings.runner === "dataflow") {
    out.experiments = [...new Set([...commaList(settings.experiments), "use_sibling_sdk_workers"])];
    // Beam's Python runner takes labels as a list of key=value.
    if (settings.labels !== undefined) out.labels = commaList(settings.labels);
  }
  return out;
}

/** Where the graph reads and writes, from the settings. */
function portableIo(pipeline: string, settings: PortableSettings): PortableIo {
  return {
    subscription: subscriptionOf(pipeline, settings.project, settings.subscription),
    timestampAttribute: settings.timestampAttribute,
    project: settings.project,
    dataset: settings.dataset,
    paneWindowSec: settings.paneWindowSec,
  };
}

/** Points the SDK at a given expansion service (address or jar) through its BEAM_SERVICE_OVERRIDES. */
function useExpansionService(where: string, env: NodeJS.ProcessEnv = process.env): void {
  const overrides = env.BEAM_SERVICE_OVERRIDES ? (JSON.parse(env.BEAM_SERVICE_OVERRIDES) as Record<string, string>) : {};
  overrides[GCP_EXPANSION_SERVICE] = where;
  env.BEAM_SERVICE_OVERRIDES = JSON.stringify(overrides);
}

/** How long a job service started here may take to listen: Python importing apache_beam[gcp] takes 5-15 s on a busy 2-core machine. */
const SERVICE_START_MS = 120_000;

/** The SDK waits a fixed 10 s for a service it starts to listen, then kills it: give a subprocess service SERVICE_START_MS instead. */
function patientStart(service: Service): Service {
  if (service instanceof SubprocessService) {
    const wait = SubprocessService.prototype.portReady;
    service.portReady = (port: unknown, host: unknown, _timeoutMs: unknown, iterMs?: number) => wait.call(service, port, host, SERVICE_START_MS, iterMs);
  }
  return service;
}

/** Whether the SDK runs the workers in this process (an embedded Flink). */
const isLoopback = (settings: PortableSettings): boolean => settings.runner === "flink" && settings.jobEndpoint === undefined && EMBEDDED_FLINK.includes(settings.flinkMaster);

/**
 * The job service of each runner. dataflow: the SDK's Python Dataflow job
 * service (BEAM_SERVICE_OVERRIDES `python:*` picks the Python, the launcher
 * image's has apache_beam[gcp] 2.49.0; `python:<module>` an address);
 * universal: --jobEndpoint; flink: --jobEndpoint (a running Beam Flink job
 * server) or the job server jar the SDK starts.
 */
async function submit(settings: PortableSettings, proto: PipelineProto, options: SdkOptions): Promise<{ runner: PortableRunner | undefined; jobId?: string; stop: () => Promise<void>; done?: Promise<JobState_Enum> }> {
  if (settings.runner === "dataflow") {
    process.env.PYTHONPATH = [PYTHON_MODULES, process.env.PYTHONPATH].filter((p) => p).join(delimiter);
    const service: Service = patientStart(PythonService.forModule(DATAFLOW_JOB_SERVICE, ["--port", "{{PORT}}"]));
    // No jobEndpoint key at all: the runner merges its own options into the job's, and an undefined value crashes Struct.fromJson.
    const portable = new PortableRunner({} as { jobEndpoint: string }, service);
    const result = await portable.runPipelineWithProto(proto, options);
    return { runner: portable, jobId: result.jobId, stop: async () => void (await service.stop()) };
  }
  if (settings.jobEndpoint === undefined) {
    // Flink without a job server: the SDK's Flink runner starts the job server jar; it keeps the options (unlike its Dataflow runner).
    const result = await flinkRunner({}).runPipeline(proto, options);
    return { runner: undefined, stop: async () => undefined, done: result.waitUntilFinish() };
  }
  const portable = new PortableRunner({ jobEndpoint: settings.jobEndpoint });
  const result = await portable.runPipelineWithProto(proto, options);
  return { runner: portable, jobId: result.jobId, stop: async () => undefined };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until the job left STOPPED/STARTING, so the job service may be stopped without interrupting the submission. */
async function startedState(runner: PortableRunner, jobId: string): Promise<JobState_Enum> {
  // A loop variable captured by a callback does not survive the closure transform (ReferenceError): sleep takes it as an argument.
  for (let wait = 100; ; wait = Math.min(wait * 2, 5000)) {
    const { state } = await runner.getJobState(jobId);
    if (state !== JobState_Enum.STOPPED && state !== JobState_Enum.STARTING && state !== JobState_Enum.UNSPECIFIED) return state;
    await sleep(wait);
  }
}

/** What a portable run reports: the job and the state it was seen in. */
interface PortableRunResult {
  readonly jobId?: string;
  readonly state: string;
}

/**
 * Runs a pipeline on a portable runner: builds the graph (the cross-language
 * steps are expanded on the way), stages the worker packages, submits, and
 * returns once the job runs (Dataflow and Flink keep it running; drain or
 * cancel it there). An embedded Flink runs here until it ends.
 */
export async function runPortable<O extends OptionValues>(pipeline: PipelineDefinition<O>, options: O, settings: PortableSettings): Promise<PortableRunResult> {
  checkPortable(settings);
  const runner = settings.runner;
  if (settings.expansionService !== undefined) useExpansionService(settings.expansionService);
  const sdk = sdkOptions(pipeline.name, options, settings);
  const graph = await step("building the graph (the expansion service expands Pub/Sub and BigQuery IO)", () => portablePipelineProto(pipeline, options, portableIo(pipeline.name, settings)));
  // LOOPBACK: the SDK points the environment at this process itself.
  const image = settings.sdkContainerImage ?? DEFAULT_SDK_IMAGE;
  const proto = isLoopback(settings)
    ? graph
    : withDockerEnvironment(graph, image, await step("packing the worker packages", async () => workerArtifacts(npmPack(ROOT), npmPack(beamPackageDir()))));
  const where = sdk.jobEndpoint === undefined ? runner : `${runner} at ${sdk.jobEndpoint}`;
  const submission = await step(`submitting to ${where}`, () => submit(settings, proto, sdk));
  try {
    if (submission.done) return { state: JobState_Enum[await submission.done] };
    const state = await startedState(submission.runner!, submission.jobId!);
    // The job service failed the job (Dataflow refused it, or the runner could not build the request): not a submission.
    if (state === JobState_Enum.FAILED) throw new PortableRunError(`submitting to ${where} failed: the job service reports job ${submission.jobId} FAILED (its log above says why)`);
    return { jobId: submission.jobId, state: JobState_Enum[state] };
  } finally {
    await submission.stop();
  }
}
