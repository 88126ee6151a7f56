import { PipelineDefinition, RunReport } from "../../pipelines/definition";
import { Source } from "../../io/sources/source";
import { Sink, WriteResult } from "../../io/sinks/sink";
import { RawChunk } from "../../transforms/core/chunk";
import { BundleResult } from "./bundle";

/** Runs the pipeline's graph over one bundle of chunks: in this thread, or on a worker. */
export type BundleExecutor = (chunks: RawChunk[]) => Promise<BundleResult>;

export interface DriverSettings {
  /** Bytes of input per bundle (one Beam run). */
  bundleBytes: number;
  /** Bundles executing or waiting to be committed at once; bounds memory. */
  maxInFlight: number;
  /** Set to stop reading: bundles already read are still processed and committed. */
  stopRequested?: () => boolean;
}

export interface RunStats {
  counters: Record<string, number>;
  /** Per table: rows stored and duplicates skipped, over the whole run. */
  written: WriteResult;
  bundles: number;
  elapsedMs: number;
  interrupted: boolean;
}

function chunkBytes(chunk: RawChunk): number {
  return chunk.kind === "lines" ? chunk.data.byteLength : chunk.payloads.reduce((n, p) => n + p.length, 0);
}

/**
 * The direct runner's loop: read chunks, execute them a bundle at a time,
 * commit each bundle's rows to the sink in input order, and only then
 * acknowledge the bundle's chunks to the source. Execution of the next
 * bundles overlaps the sink's write of the previous one.
 */
export async function drive<O>(
  definition: PipelineDefinition<O>,
  source: Source,
  sink: Sink,
  execute: BundleExecutor,
  report: RunReport,
  settings: DriverSettings,
): Promise<RunStats> {
  const started = Date.now();
  const stats: RunStats = { counters: {}, written: new Map(), bundles: 0, elapsedMs: 0, interrupted: false };

  const commit = async (chunks: RawChunk[], result: BundleResult): Promise<void> => {
    const written = await sink.write(result.tables);
    await source.acknowledge(chunks);
    stats.bundles++;
    for (const [name, value] of Object.entries(result.counters)) stats.counters[name] = (stats.counters[name] ?? 0) + value;
    for (const [table, w] of written) {
      const total = stats.written.get(table) ?? { stored: 0, duplicates: 0 };
      stats.written.set(table, { stored: total.stored + w.stored, duplicates: total.duplicates + w.duplicates });
    }
    for (const [table, rows] of result.tables) report.observe(table, rows);
  };

  let committed: Promise<void> = Promise.resolve();
  const inFlight: Promise<void>[] = [];
  const submit = async (chunks: RawChunk[]): Promise<void> => {
    const executed = execute(chunks);
    const previous = committed;
    committed = executed.then(async (result) => {
      await previous;
      await commit(chunks, result);
    });
    committed.catch(() => undefined); // surfaced by the await below, not as an unhandled rejection
    inFlight.push(committed);
    if (inFlight.length >= settings.maxInFlight) await inFlight.shift();
  };

  let pending: RawChunk[] = [];
  let pendingBytes = 0;
  for await (const chunk of source.chunks()) {
    pending.push(chunk);
    pendingBytes += chunkBytes(chunk);
    if (pendingBytes >= settings.bundleBytes) {
      await submit(pending);
      pending = [];
      pendingBytes = 0;
    }
    if (settings.stopRequested?.()) {
      stats.interrupted = true;
      break;
    }
  }
  if (pending.length > 0) await submit(pending);
  await committed;
  stats.elapsedMs = Date.now() - started;
  return stats;
}
