import { Source } from "../../io/sources/source";
import { Sink } from "../../io/sinks/sink";
import { PipelineDefinition, RowObserver } from "../../pipelines/definition";
import { MessageChunk, RawChunk, unitsOf, withoutRecords } from "../../transforms/core/chunk";
import { BundleExecutor, CommitPolicy, Committer, CommitReport, CommitSettings, CommitTotals } from "./committer";

/** What the driver needs to know of the pipeline it runs. */
export type DrivenPipeline = Pick<PipelineDefinition<unknown>, "name" | "tables" | "countedOnceBy" | "eventTime">;

/** What the committer needs of a pipeline definition. */
function commitSettings(definition: DrivenPipeline, execute: BundleExecutor): CommitSettings {
  const once = definition.tables.find((t) => t.name === definition.countedOnceBy);
  if (once !== undefined && once.key.length !== 1) throw new Error(`${definition.name}: countedOnceBy needs a table with a one-column key`);
  return { pipeline: definition.name, execute, countedOnceBy: once && { table: once.name, keyColumn: once.key[0] } };
}
import { WatermarkEstimator } from "./watermark";
import { CatalogFeed } from "./catalog-feed";

export interface DriverSettings {
  /** Bytes of input per bundle (one Beam run). */
  bundleBytes: number;
  /** Bundles executing or waiting for their commit at once; bounds memory. */
  maxInFlight: number;
  commit: CommitPolicy;
  /** The pipeline run: its name, its counted-once table, where its event times are. */
  definition: DrivenPipeline;
  /** Called after every commit, with the run's totals so far (live status). */
  onCommit?: (totals: CommitTotals, commit: CommitReport) => void;
  /** The catalog snapshot each bundle's graph reads as a side input (pipelines that read the catalog). */
  catalog?: CatalogFeed;
  /** Once aborted, no more input is read; what was read is still executed and committed. */
  signal?: AbortSignal;
}

export interface RunStats extends CommitTotals {
  bundles: number;
  /** Input units (file chunks, messages) skipped because an earlier run committed them. */
  skippedUnits: number;
  elapsedMs: number;
  interrupted: boolean;
}

function chunkBytes(chunk: RawChunk): number {
  return chunk.kind === "lines" ? chunk.data.byteLength : chunk.payloads.reduce((n, p) => n + p.length, 0);
}

/** The messages of a chunk whose ids are not in `committed`. */
function withoutCommitted(chunk: MessageChunk, committed: ReadonlySet<string>): MessageChunk {
  const keep = chunk.ids.map((id) => !committed.has(id));
  const pick = <T>(values: readonly T[]): T[] => values.filter((_, i) => keep[i]);
  return { ...chunk, ids: pick(chunk.ids), ackIds: pick(chunk.ackIds), payloads: pick(chunk.payloads), undecodable: chunk.undecodable && pick(chunk.undecodable) };
}

/**
 * The direct runner's loop: read chunks, skip the units an earlier run
 * already committed, execute the rest a bundle at a time (several bundles at
 * once on a worker pool) under the current watermark, hand the results to
 * the committer in input order, and stop reading while too many bundles wait.
 */
export async function drive(source: Source, sink: Sink, execute: BundleExecutor, observe: RowObserver, settings: DriverSettings): Promise<RunStats> {
  const started = Date.now();
  const pipeline = settings.definition.name;
  const ledger = sink.ledger;
  const committer = new Committer(source, sink, observe, settings.commit, commitSettings(settings.definition, execute), settings.onCommit);
  const watermark = new WatermarkEstimator(source.bounded ? Number.NEGATIVE_INFINITY : await (ledger?.watermark(pipeline) ?? Number.NEGATIVE_INFINITY));
  let bundles = 0;
  let skippedUnits = 0;

  /** The chunks minus what an earlier run committed; those messages are acknowledged at once. */
  const uncommitted = async (chunks: RawChunk[]): Promise<RawChunk[]> => {
    if (ledger === undefined) return chunks;
    const committed = await ledger.committedUnits(pipeline, chunks.flatMap((c) => [...unitsOf(c)]));
    if (committed.size === 0) return chunks;
    skippedUnits += committed.size;
    const kept: RawChunk[] = [];
    const ackIds: string[] = [];
    for (const chunk of chunks) {
      if (chunk.kind === "lines") {
        if (!committed.has(chunk.unit)) kept.push(chunk);
        continue;
      }
      const rest = withoutCommitted(chunk, committed);
      chunk.ackIds.forEach((id, i) => committed.has(chunk.ids[i]) && ackIds.push(id));
      if (rest.ids.length > 0) kept.push(rest);
    }
    await source.acknowledge(ackIds);
    return kept;
  };

  const eventTimes = (tables: Map<string, readonly Record<string, unknown>[]>): number[] => {
    const where = settings.definition.eventTime;
    if (where === undefined) return [];
    return (tables.get(where.table) ?? []).map((row) => row[where.column] as number);
  };

  // Only a pipeline whose records count once may run a bundle again (Committer.skipRepeats): the others' bundles keep no input bytes once executed.
  const mayRerun = settings.definition.countedOnceBy !== undefined;
  let ordered: Promise<void> = Promise.resolve();
  const inFlight: Promise<void>[] = [];
  const submit = async (input: RawChunk[]): Promise<void> => {
    const chunks = await uncommitted(input);
    if (chunks.length === 0) return;
    bundles++;
    const context = { watermarkMicros: watermark.current, skipKeys: new Set<string>(), catalog: await settings.catalog?.current() };
    const executed = execute(chunks, context);
    const kept = mayRerun ? chunks : chunks.map(withoutRecords);
    const previous = ordered;
    ordered = executed.then(async (result) => {
      await previous;
      if (!source.bounded) watermark.observe(eventTimes(result.tables));
      await committer.add({ chunks: kept, context, result, watermarkAfter: watermark.current });
    });
    ordered.catch(() => undefined); // surfaced by the awaits below, not as an unhandled rejection
    inFlight.push(ordered);
    if (inFlight.length >= settings.maxInFlight) await inFlight.shift();
  };

  let pending: RawChunk[] = [];
  let pendingBytes = 0;
  for await (const chunk of source.chunks(settings.signal)) {
    pending.push(chunk);
    pendingBytes += chunkBytes(chunk);
    // A message chunk is a micro-batch already cut to size and time: run it at once.
    if (pendingBytes >= settings.bundleBytes || chunk.kind === "messages") {
      await submit(pending);
      pending = [];
      pendingBytes = 0;
    }
    if (settings.signal?.aborted) break;
  }
  // Stopped by the signal, whether or not a chunk came after it.
  const interrupted = settings.signal?.aborted ?? false;
  if (pending.length > 0) await submit(pending);
  await ordered;
  await committer.flush(true);
  return { ...committer.totals, bundles: bundles, skippedUnits: skippedUnits, elapsedMs: Date.now() - started, interrupted: interrupted };
}
