import { registerModule } from "../core/registry";
import { OttEvent } from "../../schemas/ott";
import { formatTimestamp } from "../../schemas/timestamp";
import { reject, Rejection } from "../core/validate";

export interface ArrivalParams {
  /** Which run's arrivals to compare with (see arrivalRun). */
  run: number;
  allowedLatenessMicros: number;
}

/** Per run: the newest event time seen, and the event ids seen within the allowed lateness of it. */
interface Arrivals {
  newest: number;
  seen: Map<string, number>;
  /** Size of `seen` after its last pruning: it is pruned again when it doubles. */
  pruned: number;
}

const arrivals = new Map<number, Arrivals>();
const runs = new WeakMap<object, number>();
let lastRun = 0;

/** A run's arrivals, created on first use (on a remote worker, that is its first event). */
function arrivalsOf(run: number): Arrivals {
  let state = arrivals.get(run);
  if (state === undefined) {
    state = { newest: Number.NEGATIVE_INFINITY, seen: new Map(), pruned: 0 };
    arrivals.set(run, state);
  }
  return state;
}

/**
 * The run an options object belongs to. The direct runner builds the graph once
 * per bundle with the run's one options object, so this keys arrivals by run,
 * in this process (a worker thread keeps its own).
 */
export function arrivalRun(options: object): number {
  let run = runs.get(options);
  if (run === undefined) {
    run = ++lastRun;
    runs.set(options, run);
  }
  return run;
}

/** Forgets ids too old to matter: any event that old is late. */
function prune(state: Arrivals, horizon: number): void {
  for (const [id, time] of state.seen) if (time < horizon) state.seen.delete(id);
  state.pruned = state.seen.size;
}

/**
 * Admits an event in arrival order, or says why not: `late` when it is more
 * than the allowed lateness behind the newest event time seen before it;
 * `duplicate` when its event_id was already admitted (a Pub/Sub redelivery, a
 * repeated line), so the views count every event once, like Beam's
 * Deduplicate. Ids are remembered as long as an event with them could still
 * be on time. A file and the same events as micro-batches decide alike.
 */
export function admitEvent(event: OttEvent, params: ArrivalParams): Rejection | null {
  const state = arrivalsOf(params.run);
  const horizon = state.newest - params.allowedLatenessMicros;
  if (event.timestamp < horizon) {
    const behind = Math.round((state.newest - event.timestamp) / 1e6);
    return reject("late", `event time ${formatTimestamp(event.timestamp)} is ${behind} s behind the newest event time seen (${formatTimestamp(state.newest)}), more than the allowed lateness of ${params.allowedLatenessMicros / 1e6} s`);
  }
  if (state.seen.has(event.event_id)) return reject("duplicate", `event_id ${event.event_id} was already read in this run`);
  state.seen.set(event.event_id, event.timestamp);
  if (event.timestamp > state.newest) state.newest = event.timestamp;
  if (state.seen.size > Math.max(2 * state.pruned, 10_000)) prune(state, state.newest - params.allowedLatenessMicros);
  return null;
}

registerModule("transforms/ott/arrival", module.exports);
