import { registerModule } from "../core/registry";
import { OttEvent } from "../../schemas/ott";
import { formatTimestamp } from "../core/timestamp";
import { reject, Rejection } from "../core/validate";

export interface LatenessParams {
  /** Which run's newest event time to compare with (see lateRun). */
  run: number;
  allowedLatenessMicros: number;
}

/** Per run: the newest event time seen so far, across the run's bundles. */
const newest = new Map<number, number>();
const runs = new WeakMap<object, number>();

/**
 * The run an options object belongs to. The direct runner builds the graph once
 * per bundle with the run's one options object, so this keys the newest event
 * time by run, in this process (a worker thread keeps its own).
 */
export function lateRun(options: object): number {
  let run = runs.get(options);
  if (run === undefined) {
    run = newest.size + 1;
    runs.set(options, run);
    newest.set(run, Number.NEGATIVE_INFINITY);
  }
  return run;
}

/**
 * An event more than the allowed lateness behind the newest event time seen
 * before it is `late`; any other event moves the newest time forward. Events
 * are checked in arrival order, so a file and the same events as micro-batches
 * decide alike.
 */
export function checkLateness(event: OttEvent, params: LatenessParams): Rejection | null {
  const seen = newest.get(params.run) ?? Number.NEGATIVE_INFINITY;
  if (event.timestamp < seen - params.allowedLatenessMicros) {
    const behind = Math.round((seen - event.timestamp) / 1e6);
    return reject("late", `event time ${formatTimestamp(event.timestamp)} is ${behind} s behind the newest event time seen (${formatTimestamp(seen)}), more than the allowed lateness of ${params.allowedLatenessMicros / 1e6} s`);
  }
  if (event.timestamp > seen) newest.set(params.run, event.timestamp);
  return null;
}

registerModule("transforms/ott/lateness", module.exports);
