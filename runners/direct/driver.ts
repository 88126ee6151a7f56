import { Source } from "../../io/sources/source";
import { Sink } from "../../io/sinks/sink";
import { RowObserver } from "../../pipelines/definition";
import { RawChunk } from "../../transforms/core/chunk";
import { BundleResult } from "./bundle";
import { CommitPolicy, Committer, CommitTotals } from "./committer";

/** Runs the pipeline's graph over one bundle of chunks: in this thread, or on a worker. */
export type BundleExecutor = (chunks: RawChunk[]) => Promise<BundleResult>;

export interface DriverSettings {
  /** Bytes of input per bundle (one Beam run). */
  bundleBytes: number;
  /** Bundles executing or waiting for their commit at once; bounds memory. */
  maxInFlight: number;
  commit: CommitPolicy;
  /** Called after every commit, with the run's totals so far (live status). */
  onCommit?: (totals: CommitTotals) => void;
  /** Once aborted, no more input is read; what was read is still executed and committed. */
  signal?: AbortSignal;
}

export interface RunStats extends CommitTotals {
  bundles: number;
  elapsedMs: number;
  interrupted: boolean;
}

function chunkBytes(chunk: RawChunk): number {
  return chunk.kind === "lines" ? chunk.data.byteLength : chunk.payloads.reduce((n, p) => n + p.length, 0);
}

/**
 * The direct runner's loop: read chunks, execute them a bundle at a time
 * (several bundles at once on a worker pool), hand the results to the
 * committer in input order, and stop reading while too many bundles wait.
 */
export async function drive(source: Source, sink: Sink, execute: BundleExecutor, observe: RowObserver, settings: DriverSettings): Promise<RunStats> {
  const started = Date.now();
  const committer = new Committer(source, sink, observe, settings.commit, settings.onCommit);
  let bundles = 0;
  let interrupted = false;

  let ordered: Promise<void> = Promise.resolve();
  const inFlight: Promise<void>[] = [];
  const submit = async (chunks: RawChunk[]): Promise<void> => {
    bundles++;
    const executed = execute(chunks);
    const previous = ordered;
    ordered = executed.then(async (result) => {
      await previous;
      await committer.add(chunks, result);
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
    if (settings.signal?.aborted) {
      interrupted = true;
      break;
    }
  }
  if (pending.length > 0) await submit(pending);
  await ordered;
  await committer.flush();
  return { ...committer.totals, bundles: bundles, elapsedMs: Date.now() - started, interrupted: interrupted };
}
