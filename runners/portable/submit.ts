// The SDK's root first: its runner modules, when loaded before it, hit a require cycle (pvalue.js: "Class extends value undefined").
import "apache-beam";
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { PortableRunner } from "apache-beam/runners/portable_runner/runner";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { Pipeline as PipelineProto } from "apache-beam/proto/beam_runner_api";
import { PythonService, Service, SubprocessService } from "apache-beam/utils/service";
import { subscriptionOf } from "../../io/pubsub/names";
import { Sink, WriteResult } from "../../io/sinks/sink";
import { Row } from "../../schemas/table";
import { PipelineDefinition, RunnablePipeline } from "../../pipelines/definition";
import { PIPELINES } from "../../pipelines/registry";
import { planSnapshots, SnapshotRun } from "../snapshots";
import { OptionSpec, OptionValues } from "../../pipelines/options";
import { COMMON_OPTIONS, PortableSettings, SettingsError } from "../settings";
import { PortableRunError } from "./errors";
import { delimiter, join } from "path";
import { checkLocalSink, createSink } from "../sink";
import { beamJar, flinkJobServer, gcpExpansionService } from "./beam-services";
import { beamPackageDir, DEFAULT_SDK_IMAGE, npmPack, ROOT, withDockerEnvironment, workerArtifacts } from "./environment";
import { PortableIo, portablePipelineProto } from "./graph";
import { beamPython } from "./python-beam";
import { LoadJobIo } from "./load-job";
import { DEFAULT_DATASET } from "../../io/sinks/bigquery-sink";
import { ENDPOINT_ENV as BIGQUERY_ENDPOINT_ENV } from "../../io/bigquery/client";
import { latestPanes, takeCaptured } from "./local-sink";
import { readCatalog } from "../catalog";
import { CatalogSnapshot } from "../../transforms/catalog/titles";

/** The SDK's key for the GCP expansion service in BEAM_SERVICE_OVERRIDES (Pub/Sub and BigQuery IO). */
export const GCP_EXPANSION_SERVICE = "sdks:java:io:google-cloud-platform:expansion-service:shadowJar";
/**
 * The Dataflow job service: Beam's Python one (what the SDK's Dataflow runner
 * starts), through a module of ours that fixes integer options and template
 * launches (runners/portable/python/). Its key in BEAM_SERVICE_OVERRIDES is `python:<module>`.
 */
export const DATAFLOW_JOB_SERVICE = "beam_video_dataflow_job_service";
const PYTHON_MODULES = join(ROOT, "runners", "portable", "python");

const COMMON: readonly OptionSpec[] = COMMON_OPTIONS;
const LOCAL_FLAGS = new Set(COMMON.filter((o) => o.local).map((o) => o.name));

type SdkOptions = Record<string, string | number | boolean | string[]>;

export { PortableRunError };

/** Runs a step; its failure becomes a PortableRunError saying which step, with the cause's first line. */
async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PortableRunError(`${what} failed: ${message.split("\n")[0]}`);
  }
}

/** Whether the pipeline is a batch job over snapshot files (the catalog), not a streaming job over Pub/Sub. */
const isBatch = (pipeline: string): boolean => PIPELINES[pipeline]?.snapshots !== undefined;

/** Settings a portable run cannot take: checked before anything starts. */
function checkPortable(pipeline: string, settings: PortableSettings): void {
  const local = settings.sink !== "bigquery";
  if (isBatch(pipeline)) {
    if (settings.runner === "dataflow") {
      if (settings.input === undefined) throw new SettingsError(`${pipeline} on --runner=dataflow needs --input: the files as gs://bucket/path patterns (the generated sample is the direct runner's)`);
      return;
    }
    if (!isLoopback(settings)) throw new SettingsError(`${pipeline} on --runner=${settings.runner} needs the workers in this process (--environmentType=LOOPBACK, the default of --runner=flink without --jobEndpoint): they read the files here, and this process writes the rows (BigQuery: load jobs)`);
    if (settings.input === undefined) throw new SettingsError(`${pipeline} on --runner=${settings.runner} needs --input (the generated sample is the direct runner's)`);
    return;
  }
  if (local && !isLoopback(settings)) throw new SettingsError(`--sink=${settings.sink} on --runner=${settings.runner} needs the workers in this process: --environmentType=LOOPBACK (the default of --runner=flink without --jobEndpoint)`);
  if (!settings.streaming && !local) throw new SettingsError(`--runner=${settings.runner} reads Pub/Sub, an unbounded source: the job is a streaming job, --streaming=false is possible only with a local --sink (it stops once no row came for --idleMs)`);
  if (settings.runner === "flink" && settings.jobEndpoint === undefined && settings.flinkMaster !== "[auto]" && settings.flinkMaster !== "[local]") throw new SettingsError("--flinkMaster needs --jobEndpoint: without it this program starts Beam's Flink job server with an embedded Flink");
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
  out.streaming = !isBatch(pipeline);
  if (isLoopback(settings)) out.environmentType = "LOOPBACK";
  // Beam Java's Pub/Sub read is a REST client: the emulator, when the Node clients use one.
  if (process.env.PUBSUB_EMULATOR_HOST && settings.runner !== "dataflow") out.pubsubRootUrl = `http://${process.env.PUBSUB_EMULATOR_HOST}`;
  // Flink buffers what a bundle finished during a checkpoint emits until the step's next bundle or watermark: the last bundle before the input pauses would stay there.
  if (settings.runner === "flink") out.finishBundleBeforeCheckpointing = true;
  if (isEmbeddedFlink(settings) && !isBatch(pipeline)) {
    // The Pub/Sub read acknowledges messages when Flink completes a checkpoint; its checkpoint outgrows Flink's in-memory limit (5 MB).
    Object.assign(out, { checkpointingInterval: 5000, stateBackend: "filesystem", stateBackendStoragePath: `file://${mkdtempSync(join(tmpdir(), "flink-state-"))}`, parallelism: 1 });
  }
  // What the SDK's own Dataflow runner adds: the Java IO steps run in their own SDK container beside the TypeScript one.
  if (settings.runner === "dataflow") {
    out.experiments = [...new Set([...commaList(settings.experiments), "use_sibling_sdk_workers"])];
    // Beam's Python runner takes labels as a list of key=value.
    if (settings.labels !== undefined) out.labels = commaList(settings.labels);
  }
  return out;
}

/** BigQuery's job id characters: the Dataflow job's name as the prefix of its load jobs' ids. */
const loadJobPrefix = (jobName: string): string => jobName.replace(/[^A-Za-z0-9_-]/g, "_");

/**
 * A batch job on Dataflow reads its changed files and writes its tables
 * itself (load-job.ts): its rows staged under --tempLocation, loaded with
 * the load jobs' ids prefixed by the job's name and the run's start.
 */
function loadJobIo(settings: PortableSettings, snapshots: SnapshotRun, jobName: string): LoadJobIo {
  // The run's start too: a scheduler may launch every run under one job name, and a load job id names one load forever.
  const run = `${jobName}-${snapshots.startedAt}`;
  return {
    project: settings.project,
    dataset: settings.dataset ?? DEFAULT_DATASET,
    staging: `${settings.tempLocation!.replace(/\/+$/, "")}/staged-rows/${run}`,
    jobPrefix: loadJobPrefix(run),
    files: snapshots.files,
    startedAt: snapshots.startedAt,
    bigQueryEndpoint: process.env[BIGQUERY_ENDPOINT_ENV],
  };
}

/** Where the graph reads and writes, from the settings; `snapshot`: the catalog read from the local warehouse. */
function portableIo(pipeline: string, settings: PortableSettings, files?: readonly string[], snapshot?: CatalogSnapshot, loadJob?: LoadJobIo): PortableIo {
  return {
    files,
    loadJob,
    catalog:
      settings.sink === "bigquery"
        ? { kind: "bigquery", project: settings.project, dataset: settings.dataset }
        : snapshot === undefined
          ? undefined
          : { kind: "snapshot", snapshot: snapshot },
    // A batch job over files has no topic of its own.
    subscription: files === undefined && loadJob === undefined ? subscriptionOf(pipeline, settings.project, settings.subscription) : "",
    timestampAttribute: settings.timestampAttribute,
    // A batch job's rows always come back to this process, whose sink (BigQuery: load jobs) writes them.
    sink: settings.sink === "bigquery" && files === undefined ? { kind: "bigquery", project: settings.project, dataset: settings.dataset } : { kind: "local" },
    paneDelaySec: settings.paneDelaySec,
  };
}

/** The SDK's BEAM_SERVICE_OVERRIDES: service key -> address or jar. */
const serviceOverrides = (env: NodeJS.ProcessEnv): Record<string, string> => (env.BEAM_SERVICE_OVERRIDES ? (JSON.parse(env.BEAM_SERVICE_OVERRIDES) as Record<string, string>) : {});

/** Points the SDK's service `key` at `where` (an address, a jar, a Python) through its BEAM_SERVICE_OVERRIDES. */
function useService(key: string, where: string, env: NodeJS.ProcessEnv = process.env): void {
  const overrides = serviceOverrides(env);
  overrides[key] = where;
  env.BEAM_SERVICE_OVERRIDES = JSON.stringify(overrides);
}

/** Points the SDK at a given GCP expansion service (address or jar). */
const useExpansionService = (where: string): void => useService(GCP_EXPANSION_SERVICE, where);

/** Whether BEAM_SERVICE_OVERRIDES already names the GCP expansion service (an address, or a jar). */
const expansionServiceOverridden = (env: NodeJS.ProcessEnv = process.env): boolean => GCP_EXPANSION_SERVICE in serviceOverrides(env);

/** Python's expansion service module (the SDK's pythonTransform), and its key in BEAM_SERVICE_OVERRIDES. */
const PYTHON_EXPANSION = "apache_beam.runners.portability.expansion_service_main";

/**
 * Beam's Python for the SDK's Python services (the Dataflow job service,
 * Python's expansion service): BEAM_SERVICE_OVERRIDES `python:*` when given
 * (the launcher image's), else the cached venv of apache-beam at the SDK's
 * version (python-beam.ts), where the SDK would bootstrap the latest release.
 */
function usePinnedPython(): void {
  if (!("python:*" in serviceOverrides(process.env))) useService("python:*", beamPython());
}

/** Starts Python's expansion service (a load job's Python steps) with SERVICE_START_MS of patience, unless BEAM_SERVICE_OVERRIDES names one. */
async function usePythonExpansionService(stops: (() => Promise<void>)[]): Promise<void> {
  const key = `python:${PYTHON_EXPANSION}`;
  if (key in serviceOverrides(process.env)) return;
  const service = patientStart(PythonService.forModule(PYTHON_EXPANSION, ["--fully_qualified_name_glob=*", "--port", "{{PORT}}"]));
  stops.push(() => service.stop());
  useService(key, await step("starting Beam's Python expansion service", () => service.start()));
}

/** How long a job service started here may take to listen: Python importing apache_beam[gcp] takes 5-15 s on a busy 2-core machine. */
const SERVICE_START_MS = 120_000;

/** The SDK waits a fixed 10 s for a service it starts to listen, then kills it: give a subprocess service SERVICE_START_MS instead. */
export function patientStart(service: Service): Service {
  if (service instanceof SubprocessService) {
    const wait = SubprocessService.prototype.portReady;
    service.portReady = (port: unknown, host: unknown, _timeoutMs: unknown, iterMs?: number) => wait.call(service, port, host, SERVICE_START_MS, iterMs);
  }
  return service;
}

/** Whether this program starts Beam's Flink job server (an embedded Flink) itself. */
const isEmbeddedFlink = (settings: PortableSettings): boolean => settings.runner === "flink" && settings.jobEndpoint === undefined;

/** Whether the workers run in this process (LOOPBACK). */
const isLoopback = (settings: PortableSettings): boolean => settings.runner !== "dataflow" && (settings.environmentType ?? (isEmbeddedFlink(settings) ? "LOOPBACK" : "DOCKER")) === "LOOPBACK";

/**
 * The job service of each runner. dataflow: the SDK's Python Dataflow job
 * service (BEAM_SERVICE_OVERRIDES `python:*` picks the Python, the launcher
 * image's has apache_beam[gcp] 2.49.0; `python:<module>` an address);
 * universal: --jobEndpoint; flink: --jobEndpoint (a running Beam Flink job
 * server) or Beam's Flink job server from the cached Maven classpath
 * (beam-services.ts).
 */
async function submit(settings: PortableSettings, proto: PipelineProto, options: SdkOptions): Promise<{ runner: PortableRunner; result: PortableJob; stop: () => Promise<void> }> {
  // No jobEndpoint key at all: the runner merges its own options into the job's, and an undefined value crashes Struct.fromJson.
  const byService = async (service: Service): Promise<{ runner: PortableRunner; result: PortableJob; stop: () => Promise<void> }> => {
    const portable = new PortableRunner({} as { jobEndpoint: string }, service);
    const result = (await portable.runPipelineWithProto(proto, options)) as unknown as PortableJob;
    return { runner: portable, result, stop: async () => void (await service.stop()) };
  };
  if (settings.runner === "dataflow") {
    process.env.PYTHONPATH = [PYTHON_MODULES, process.env.PYTHONPATH].filter((p) => p).join(delimiter);
    return byService(patientStart(PythonService.forModule(DATAFLOW_JOB_SERVICE, ["--port", "{{PORT}}"])));
  }
  // The SDK's own Flink runner would download a shaded job server jar, which Maven Central refuses here.
  if (settings.jobEndpoint === undefined) return byService(flinkJobServer());
  const portable = new PortableRunner({ jobEndpoint: settings.jobEndpoint });
  const result = (await portable.runPipelineWithProto(proto, options)) as unknown as PortableJob;
  return { runner: portable, result, stop: async () => undefined };
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

/** The SDK's PortableRunnerPipelineResult (not exported), as this program uses it. */
interface PortableJob {
  readonly jobId: string;
  getState(): Promise<{ state: JobState_Enum }>;
  cancel(): Promise<void>;
  waitUntilFinish(): Promise<JobState_Enum>;
}

/** What a portable run reports: the job, the state it was seen in, and with a local sink the rows written. */
export interface PortableRunResult {
  readonly jobId?: string;
  readonly state: string;
  readonly written?: WriteResult;
  /** With a local sink: where the rows are. */
  readonly location?: string[];
  /** A batch job over snapshot files: the log rows it wrote (one per file, read or skipped). */
  readonly logged?: readonly Row[];
}

/** The SDK's LOOPBACK workers log every control request (console.log) and bundle (console.debug) in this process. */
export function quietWorkers(): () => void {
  const { log, debug } = console;
  console.log = (...args: unknown[]) => void (typeof args[0] === "object" && args[0] !== null && "instructionId" in args[0] ? undefined : log(...args));
  console.debug = (...args: unknown[]) => void (typeof args[0] === "string" && args[0].startsWith("Processing ") ? undefined : debug(...args));
  return () => Object.assign(console, { log, debug });
}

/**
 * The SDK's LOOPBACK worker has no error handler on its control channel: when
 * the job server stops at the end of a run, the dropped connection
 * (UNAVAILABLE) or cancelled call would end this process with a stack trace.
 */
export function tolerateDroppedWorkerChannels(): void {
  process.on("uncaughtException", (error: Error & { code?: number }) => {
    if (error.code === 14 || error.code === 1) return;
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}

const TERMINAL = [JobState_Enum.DONE, JobState_Enum.FAILED, JobState_Enum.CANCELLED, JobState_Enum.UPDATED, JobState_Enum.DRAINED];

/** Adds one write's counts (and a merged table's current rows) to the run's. */
function addWritten(total: WriteResult, result: WriteResult): void {
  for (const [table, w] of result) {
    const before = total.get(table) ?? { stored: 0, duplicates: 0 };
    total.set(table, { stored: before.stored + w.stored, duplicates: before.duplicates + w.duplicates, rows: w.rows });
  }
}

/**
 * With a local sink: writes what the LOOPBACK workers captured every half
 * second, until the job ends, a signal (which cancels it), or, draining
 * (`idleMs`), no row came for that long after the first.
 */
async function writeCaptured(result: PortableJob, sink: Sink, idleMs: number | undefined, observe?: (table: string, rows: readonly Row[]) => void): Promise<{ state: string; written: WriteResult }> {
  const written: WriteResult = new Map();
  const stop = new AbortController();
  const onSignal = (): void => void (stop.signal.aborted ? process.exit(130) : stop.abort());
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let lastRow: number | undefined;
  const flush = async (): Promise<void> => {
    const batch = takeCaptured();
    if (batch.size === 0) return;
    const stored = await sink.write(batch);
    for (const [table, rows] of batch) observe?.(table, rows);
    addWritten(written, stored);
    lastRow = Date.now();
    const counts = [...batch].map(([table, rows]) => `${table} ${rows.length}`).join(", ");
    process.stderr.write(`${new Date(lastRow).toISOString()} wrote ${counts}\n`);
  };
  try {
    for (;;) {
      await flush();
      const { state } = await result.getState();
      if (TERMINAL.includes(state)) {
        await flush();
        return { state: JobState_Enum[state], written };
      }
      const idle = idleMs !== undefined && lastRow !== undefined && Date.now() - lastRow > idleMs;
      if (stop.signal.aborted || idle) {
        await result.cancel();
        await flush();
        return { state: idle ? "DRAINED" : "CANCELLED", written };
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * Runs a pipeline on a portable runner: builds the graph (the cross-language
 * steps are expanded on the way), stages the worker packages, submits, and
 * returns once the job runs (Dataflow and Flink keep it running; drain or
 * cancel it there). With `--runner=flink` and no `--jobEndpoint` it starts
 * Beam's Flink job server and expansion service itself (beam-services.ts)
 * and runs here until the job ends; with a local sink the LOOPBACK workers'
 * rows are written to it (see writeCaptured).
 */
export async function runPortable<O extends OptionValues>(pipeline: RunnablePipeline<O>, options: O, settings: PortableSettings): Promise<PortableRunResult> {
  checkPortable(pipeline.name, settings);
  await checkLocalSink(settings);
  const runner = settings.runner;
  const stops: (() => Promise<void>)[] = [];
  const loopback = isLoopback(settings);
  const loud = loopback ? quietWorkers() : () => undefined;
  if (loopback) tolerateDroppedWorkerChannels();
  // A batch job over snapshot files: the files that changed are found (and their tables emptied, or with BigQuery replaced later by load jobs) before the sink opens.
  const snapshots = pipeline.snapshots ? await planSnapshots(pipeline, options, settings) : undefined;
  // On Dataflow a batch job reads its files and loads its tables itself (load-job.ts): no sink here.
  const loadsItself = snapshots !== undefined && runner === "dataflow";
  const sink = loadsItself ? undefined : snapshots?.sink ?? (settings.sink === "bigquery" ? undefined : createSink(pipeline.name, settings));
  try {
    if (runner === "dataflow") usePinnedPython();
    if (loadsItself) await usePythonExpansionService(stops);
    else if (snapshots !== undefined) {
      // The batch job has no cross-language step: its files are read by a DoFn and its rows written by this process.
    } else if (settings.expansionService !== undefined) useExpansionService(settings.expansionService);
    else if (isEmbeddedFlink(settings)) {
      const expansion = gcpExpansionService();
      stops.push(() => expansion.stop());
      useExpansionService(await step("starting Beam's expansion service", () => expansion.start()));
    } else if (!expansionServiceOverridden()) {
      // The SDK would download the jar itself, and leave a partial one in its cache when the download fails.
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      useExpansionService(await step("downloading Beam's expansion service", () => beamJar(GCP_EXPANSION_SERVICE, log)));
    }
    if (sink !== undefined) await sink.open(pipeline.tables, latestPanes(pipeline.merges), pipeline.views);
    if (snapshots !== undefined && sink !== undefined && snapshots.changed.length === 0) {
      // Every file unchanged: nothing to run, only their log rows to write.
      return { state: "DONE", ...(await finishSnapshots(snapshots, sink, "DONE", new Map())), location: sink.location() };
    }
    const sdk = sdkOptions(pipeline.name, options, settings);
    // A local warehouse's catalog is read here, once, and goes to the workers in the graph (runners/portable/graph.ts).
    const snapshot = sink !== undefined && pipeline.readsCatalog ? await readCatalog(sink) : undefined;
    const graph = await step(`building the graph (${loadsItself ? "Python's expansion service expands the file read and the load jobs" : "the expansion service expands Pub/Sub and BigQuery IO"})`, () => portablePipelineProto(pipeline, options, portableIo(pipeline.name, settings, loadsItself ? undefined : snapshots?.changed, snapshot, loadsItself ? loadJobIo(settings, snapshots!, String(sdk.jobName)) : undefined)));
    // LOOPBACK: the SDK points the environment at this process itself.
    const image = settings.sdkContainerImage ?? DEFAULT_SDK_IMAGE;
    const proto = loopback ? graph : withDockerEnvironment(graph, image, await step("packing the worker packages", async () => workerArtifacts(npmPack(ROOT), npmPack(beamPackageDir()))));
    const where = sdk.jobEndpoint === undefined ? runner : `${runner} at ${sdk.jobEndpoint}`;
    const submission = await step(`submitting to ${where}`, () => submit(settings, proto, sdk));
    stops.unshift(submission.stop);
    const jobId = submission.result.jobId;
    if (sink !== undefined) {
      // A batch job ends by itself; a streaming one when cancelled, or drained after --idleMs without rows.
      const idleMs = snapshots !== undefined || settings.streaming || settings.runner === "dataflow" ? undefined : settings.idleMs;
      const captured = await writeCaptured(submission.result, sink, idleMs, snapshots?.observe);
      const finished = snapshots === undefined ? { written: captured.written } : await finishSnapshots(snapshots, sink, captured.state, captured.written);
      return { jobId, state: captured.state, ...finished, location: sink.location() };
    }
    if (isEmbeddedFlink(settings)) return { jobId, state: JobState_Enum[await submission.result.waitUntilFinish()] };
    const state = await startedState(submission.runner, jobId);
    // The job service failed the job (Dataflow refused it, or the runner could not build the request): not a submission.
    if (state === JobState_Enum.FAILED) throw new PortableRunError(`submitting to ${where} failed: the job service reports job ${jobId} FAILED (its log above says why)`);
    return { jobId, state: JobState_Enum[state] };
  } finally {
    for (const stop of stops) await stop();
    await sink?.close();
    loud();
  }
}

/** After a batch job over snapshot files: the log rows of the files it read whole (none when it did not end DONE, so the next run reads them again), counted with the rest. */
async function finishSnapshots(snapshots: SnapshotRun, sink: Sink, state: string, written: WriteResult): Promise<{ written: WriteResult; logged: Row[] }> {
  const logged = await snapshots.finish(sink, { interrupted: state !== "DONE", written });
  if (logged.length > 0) written.set(snapshots.log, { stored: logged.length, duplicates: 0 });
  return { written, logged };
}
