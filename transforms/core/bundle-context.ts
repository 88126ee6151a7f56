import { registerModule } from "./registry";
import { CatalogSnapshot } from "../catalog/titles";

/**
 * What the runner executing a bundle tells the graph about it. The direct
 * runner executes one Beam run per bundle, so event-time state that spans
 * bundles (the watermark) and what earlier commits already counted (records
 * to skip) come from the runner, not from process memory. Portable runners
 * never set it: their own watermark drops expired windows at the GroupByKey.
 */
export interface BundleContext {
  /**
   * The input watermark, epoch microseconds: event time up to which the
   * runner believes input is complete. -Infinity for bounded input, which has
   * no late data.
   */
  watermarkMicros: number;
  /** Keys of records already counted by an earlier commit or bundle (duplicates): skipped by the whole graph. */
  skipKeys: ReadonlySet<string>;
  /**
   * The catalog snapshot current when the bundle was cut, which the direct
   * runner hands the graph as a side input (runners/direct/bundle.ts); no
   * transform reads it here. Undefined: the warehouse has no catalog.
   */
  catalog?: CatalogSnapshot;
}

/**
 * The bundle being executed in this thread, with the keys admitted in it so
 * far (so a key repeated across its chunks counts once). Registered by
 * reference, so DoFns read the runner's current values.
 */
export const currentBundle: BundleContext & { seenKeys?: Set<string> } = { watermarkMicros: Number.NEGATIVE_INFINITY, skipKeys: new Set() };

/** Sets the context of the next bundle executed in this thread. */
export function enterBundle(context: BundleContext): void {
  currentBundle.watermarkMicros = context.watermarkMicros;
  currentBundle.skipKeys = context.skipKeys;
  currentBundle.seenKeys = new Set();
}

/** Forgets the bundle's keys once it has run. */
export function exitBundle(): void {
  currentBundle.watermarkMicros = Number.NEGATIVE_INFINITY;
  currentBundle.skipKeys = new Set();
  currentBundle.seenKeys = undefined;
}

registerModule("transforms/core/bundle-context", module.exports);
