import * as beam from "apache-beam";
import { Pipeline } from "apache-beam/internal/pipeline";
import { readFromBigQuery, writeToBigQuery } from "apache-beam/io/bigqueryio";
import {
  AccumulationMode_Enum,
  IsBounded_Enum,
  ClosingBehavior_Enum,
  OnTimeBehavior_Enum,
  OutputTime_Enum,
  Pipeline as PipelineProto,
  Trigger,
  WindowingStrategy,
} from "apache-beam/proto/beam_runner_api";
import { rawExternalTransform } from "apache-beam/transforms/external";
import { withCoderInternal } from "apache-beam/transforms/internal";
import { paneInfoParam } from "apache-beam/transforms/pardo";
import { windowInto } from "apache-beam/transforms/window";
import { globalWindows } from "apache-beam/transforms/windowings";
import { serviceProviderFromJavaGradleTarget } from "apache-beam/utils/service";
import { PipelineDefinition, SideInputs } from "../../pipelines/definition";
import { titleBasics } from "../../schemas/catalog";
import { CatalogSnapshot, catalogSnapshot, CatalogTitle } from "../../transforms/catalog/titles";
import { Row, TableSpec } from "../../schemas/table";
import { RawChunk } from "../../transforms/core/chunk";
import { nowMicros } from "../../io/sources/source";
import { readFileChunks } from "../../io/sources/file-chunks";
import { captureRows } from "./local-sink";
import { LoadJobIo, loadTables, readChangedFiles } from "./load-job";
import { CatalogRow, catalogTitleOfRow, gatherAll, MergedPart, mergedTables, messageChunk, paneRows, tableRowCoder, tableRows } from "./rows";

/** Where the graph reads and writes on a portable runner. */
export interface PortableIo {
  /** projects/P/subscriptions/S */
  readonly subscription: string;
  /** Pub/Sub attribute with the event time; undefined: the publish time. */
  readonly timestampAttribute?: string;
  /**
   * Where the rows go: BigQuery (`project`, `dataset`), or `local`: this
   * process, whose LOOPBACK workers hand them to a local sink (local-sink.ts).
   */
  readonly sink: { kind: "bigquery"; project: string; dataset: string } | { kind: "local" };
  /** Processing time between the accumulating panes of a grouping (seconds): the conversations' global window, the views' event-time windows. */
  readonly paneDelaySec: number;
  /**
   * A batch job over these files instead (a pipeline of snapshot files, the
   * catalog): each is read whole inside a DoFn (io/sources/file-chunks.ts),
   * so its paths must be readable where the workers run.
   */
  readonly files?: readonly string[];
  /**
   * A batch job over snapshot files that reads them and writes its tables
   * itself, by load jobs (load-job.ts; the catalog on Dataflow): no process
   * waits for the job. Takes the place of `files` and `sink`.
   */
  readonly loadJob?: LoadJobIo;
  /**
   * The catalog's titles, for a pipeline that reads them: a snapshot this
   * process read from the local warehouse at submission, fixed in the step's
   * parameters, or BigQuery's `title_basics`, which the job reads when it
   * starts, as a side input; none: no catalog.
   */
  readonly catalog?: { kind: "snapshot"; snapshot: CatalogSnapshot } | { kind: "bigquery"; project: string; dataset: string };
}

/** The SDK's key of Beam's Java GCP IO expansion service. */
const GCP_IO = "sdks:java:io:google-cloud-platform:expansion-service:shadowJar";

/**
 * Beam Java's cross-language Pub/Sub read with the message attributes and id:
 * its elements are PubsubMessage protos. The SDK's own
 * `readFromPubSubWithAttributes` asks for `needsAttributes`, a field Beam
 * 2.49's Java ExternalRead does not have (it refuses the expansion); its
 * field is `with_attributes`.
 */
function readMessages(io: PortableIo) {
  const payload: Record<string, unknown> = { subscription: io.subscription, with_attributes: true };
  if (io.timestampAttribute !== undefined) payload.timestamp_attribute = io.timestampAttribute;
  return rawExternalTransform<beam.Root, beam.PCollection<Uint8Array>>("beam:transform:org.apache.beam:pubsub_read:v1", payload, serviceProviderFromJavaGradleTarget(GCP_IO));
}

/** Fires once `delaySec` of processing time after the first element it sees (Beam's AfterProcessingTime.pastFirstElementInPane().plusDelayOf). */
function afterProcessingDelay(delaySec: number): Trigger {
  return {
    trigger: {
      oneofKind: "afterProcessingTime",
      afterProcessingTime: { timestampTransforms: [{ timestampTransform: { oneofKind: "delay", delay: { delayMillis: BigInt(delaySec * 1000) } } }] },
    },
  };
}

/**
 * The global window with a pane every `delaySec` of processing time after new
 * input, ACCUMULATING: each pane of a key holds everything seen for it, so
 * the latest pane of a conversation is the whole conversation, however long
 * it spans (docs/runners.md says why not session windows).
 */
function accumulatingGlobalWindow(environmentId: string, delaySec: number): WindowingStrategy {
  return {
    windowCoderId: "",
    mergeStatus: 0,
    trigger: { trigger: { oneofKind: "repeat", repeat: { subtrigger: afterProcessingDelay(delaySec) } } },
    accumulationMode: AccumulationMode_Enum.ACCUMULATING,
    outputTime: OutputTime_Enum.END_OF_WINDOW,
    closingBehavior: ClosingBehavior_Enum.EMIT_IF_NONEMPTY,
    allowedLateness: BigInt(0),
    onTimeBehavior: OnTimeBehavior_Enum.FIRE_IF_NONEMPTY,
    assignsToOneWindow: true,
    environmentId,
  };
}

const EVENT_TIME_WINDOWS = ["beam:window_fn:fixed_windows:v1", "beam:window_fn:sliding_windows:v1"];

/**
 * The event-time windows of the graph (the OTT views) on a portable runner:
 * early panes `paneDelaySec` of processing time after new input, a pane when
 * the watermark passes the window's end, then late panes the same way for
 * events up to `allowedLatenessSec` behind the watermark, all ACCUMULATING,
 * so each pane of a window holds everything seen for it and a late event
 * updates its window's row; later ones are dropped by the runner. Without the
 * early panes a window's row would wait for the source's watermark, which
 * Beam Java's Pub/Sub read holds at its minimum while any of its readers has
 * received nothing (docs/runners.md). The views' transforms are the direct
 * runner's; only their windowing strategy is set here, where the runner is
 * known.
 */
function eventTimePanes(proto: PipelineProto, allowedLatenessSec: number, paneDelaySec: number): void {
  for (const strategy of Object.values(proto.components!.windowingStrategies)) {
    if (!EVENT_TIME_WINDOWS.includes(strategy.windowFn?.urn ?? "")) continue;
    strategy.trigger = { trigger: { oneofKind: "afterEndOfWindow", afterEndOfWindow: { earlyFirings: afterProcessingDelay(paneDelaySec), lateFirings: afterProcessingDelay(paneDelaySec) } } };
    strategy.accumulationMode = AccumulationMode_Enum.ACCUMULATING;
    strategy.allowedLateness = BigInt(allowedLatenessSec * 1000);
    strategy.closingBehavior = ClosingBehavior_Enum.EMIT_IF_NONEMPTY;
    strategy.onTimeBehavior = OnTimeBehavior_Enum.FIRE_IF_NONEMPTY;
  }
}

/**
 * The catalog on a portable runner: with a local sink, the snapshot read at
 * submission, fixed in the step's parameters (Beam 2.49's Flink runner fails
 * every checkpoint of a stage with a TypeScript side input,
 * docs/catalog.md); with BigQuery, a side input in the global window: Beam
 * Java's cross-language BigQuery read of `title_basics` (a query job and an
 * export, when the job starts), its rows gathered into one snapshot. Read
 * once: the TypeScript SDK has no periodic impulse, and the read is bounded.
 */
async function catalogSide(root: beam.Root, io: PortableIo): Promise<SideInputs> {
  const catalog = io.catalog;
  if (catalog === undefined) return {};
  if (catalog.kind === "snapshot") return { catalog: catalog.snapshot };
  const table = `\`${catalog.project}.${catalog.dataset}.${titleBasics.name}\``;
  const rows = await root.applyAsync(beam.withName("ReadCatalog", readFromBigQuery<CatalogRow>({ query: `SELECT tconst, primaryTitle AS title, genres[SAFE_OFFSET(0)] AS genre FROM ${table}` })));
  const snapshot = rows
    .map(beam.withName("CatalogTitle", catalogTitleOfRow))
    .apply(beam.withName("AllTitles", gatherAll<CatalogTitle>("AllTitles")))
    .map(beam.withName("CatalogSnapshot", catalogSnapshot));
  return { catalog: likeMainInput(snapshot, io) };
}

/**
 * A side input as the SDK can apply it beside the main input: the SDK
 * deduces a ParDo's output boundedness and windowing from every input, side
 * inputs included, and refuses to apply it when they differ ("Unable to
 * deduce single value"), where Beam takes them from the main input. So the
 * side input gets the chunks' windowing (the global window, a pane
 * `paneDelaySec` after its one element) and is declared unbounded like them.
 */
function likeMainInput<T>(side: beam.PCollection<T>, io: PortableIo): beam.PCollection<T> {
  const pipeline = side.root().pipeline;
  const windowed = side.apply(beam.withName("CatalogPanes", windowInto(globalWindows(), accumulatingGlobalWindow(pipeline.defaultEnvironment, io.paneDelaySec))));
  pipeline.getProto().components!.pcollections[windowed.getId()].isBounded = IsBounded_Enum.UNBOUNDED;
  return windowed;
}

/** BigQueryIO's table spec. */
const tableSpecOf = (project: string, dataset: string, table: string): string => `${project}:${dataset}.${table}`;

/** Row-codes a collection of single rows for `table` and writes it with the SDK's cross-language BigQuery write. */
async function writeRows(rows: beam.PCollection<Row>, table: TableSpec, project: string, dataset: string): Promise<void> {
  const coded = rows.apply(beam.withName(`RowCoder(${table.name})`, withCoderInternal(tableRowCoder(table))));
  // The tables exist (Terraform, or the BigQuery sink's first run): never let the write create one from the Beam schema.
  await coded.applyAsync(beam.withName(`WriteToBigQuery(${table.name})`, writeToBigQuery(tableSpecOf(project, dataset, table.name), { createDisposition: "Never" })));
}

/**
 * The pipeline on a portable runner: Pub/Sub messages with their ids -> one
 * MessageChunk per message, in the accumulating global window (or, for a
 * batch job, the files' chunks of lines) ->
 * `definition.expand` (the very transforms the direct runner runs, with
 * event time from the watermark) -> per table, its rows -> the
 * cross-language BigQuery write (a merged table's panes to its `__versions`
 * and `__state` tables), or this process's local sink.
 */
/** The chunks of a batch job over files: their paths, then each file's chunks of whole lines, read by a DoFn, in the global window. */
function readFiles(root: beam.Root, files: readonly string[]): beam.PCollection<RawChunk> {
  // beam.create reshuffles its elements, so each file's read may go to another worker rather than stay fused to the single Impulse.
  return root.apply(beam.withName("Files", beam.create([...files]))).flatMap(beam.withName("ReadFiles", readFileChunks));
}

/** Pub/Sub messages as chunks, in the accumulating global window (the streaming jobs). */
async function readPubSub(root: beam.Root, io: PortableIo): Promise<beam.PCollection<RawChunk>> {
  const messages = await root.applyAsync(beam.withName("ReadFromPubSub", readMessages(io)));
  return messages
    .map(beam.withName("ToChunks", messageChunk), { source: io.subscription })
    .apply(beam.withName("AccumulatingPanes", windowInto(globalWindows(), accumulatingGlobalWindow(root.pipeline.defaultEnvironment, io.paneDelaySec))));
}

async function expandPortable<O>(root: beam.Root, definition: PipelineDefinition<O>, options: O, io: PortableIo): Promise<void> {
  if (io.loadJob !== undefined) {
    const outputs = definition.expand(await readChangedFiles(root, io.loadJob), options, {});
    return loadTables(root, outputs, definition.tables, definition.snapshots!.log, io.loadJob);
  }
  const chunks = io.files === undefined ? await readPubSub(root, io) : readFiles(root, io.files);
  const outputs = definition.expand(chunks, options, definition.readsCatalog ? await catalogSide(root, io) : {});
  const job = nowMicros();
  for (const table of definition.tables) {
    const batches = outputs[table.name];
    if (batches === undefined) continue;
    const merged = definition.merges?.has(table.name) ?? false;
    if (io.sink.kind === "local") {
      batches.map(beam.withName(`Capture(${table.name})`, captureRows), { table: table.name, merged, job, pane: paneInfoParam() });
    } else if (merged) {
      const targets = mergedTables(table);
      for (const part of ["versions", "state"] as MergedPart[]) {
        const rows = batches.flatMap(beam.withName(`ToPaneRows(${targets[part].name})`, paneRows), { pipeline: definition.name, table: table.name, part });
        await writeRows(rows, targets[part], io.sink.project, io.sink.dataset);
      }
    } else {
      await writeRows(batches.flatMap(beam.withName(`ToRows(${table.name})`, tableRows), { table }), table, io.sink.project, io.sink.dataset);
    }
  }
}

/** Builds the graph and returns the pipeline proto the SDK submits (the cross-language steps are expanded on the way). */
export async function portablePipelineProto<O>(definition: PipelineDefinition<O>, options: O, io: PortableIo): Promise<PipelineProto> {
  const pipeline = new Pipeline();
  await expandPortable(new beam.Root(pipeline), definition, options, io);
  const proto = pipeline.getProto();
  eventTimePanes(proto, definition.allowedLatenessSec?.(options) ?? 0, io.paneDelaySec);
  return proto;
}
