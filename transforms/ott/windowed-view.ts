import { registerModule } from "../core/registry";
import * as beam from "apache-beam";
import Long from "long";
import { groupByKey } from "apache-beam/transforms/internal";
import { ParDoLookupParam, windowParam } from "apache-beam/transforms/pardo";
import { assignTimestamps, windowInto } from "apache-beam/transforms/window";
import { fixedWindows, slidingWindows } from "apache-beam/transforms/windowings";
import { IntervalWindow } from "apache-beam/values";
import { OttEvent } from "../../schemas/ott";
import { Row } from "../../schemas/table";
import { currentBundle } from "../core/bundle-context";
import { utcDay } from "../../schemas/timestamp";
import { addEvent, built, mergeTallies, newBuilder, Tally, TallyBuilder } from "./tally";
import { OTT_VIEWS, OttView } from "./views";

/** A chunk's tally for one key and one slice (a `period` of event time), before windowing. */
export interface SlicePane {
  keys: string[];
  /** Start of the slice, epoch microseconds: the element's event time. */
  slice: number;
  tally: Tally;
}

/** A pane of a view's table: the window, the key columns, and the tally the sink merges. */
export interface ViewPane extends Row {
  window_start: number;
  window_end: number;
  window_date: number;
  tally: Tally;
}

const keyColumns = (view: OttView): readonly string[] => view.table.key.slice(1);

/**
 * Combiner lifting by hand: one tally per (slice, key) of the chunk. A slice
 * is the view's period, so every event of a slice falls in the same windows,
 * and Beam's window assignment of the slice's start time is exact.
 */
export function slicePanes(events: OttEvent[], context: { view: string }): beam.KV<string, SlicePane>[] {
  const view = OTT_VIEWS[context.view];
  const periodMicros = view.periodSec * 1e6;
  // By slice, then by key: no per-event string for the slice.
  const slices = new Map<number, Map<string, { keys: string[]; builder: TallyBuilder }>>();
  for (const event of events) {
    const keys = view.keyOf(event);
    if (keys === null) continue;
    const slice = Math.floor(event.timestamp / periodMicros) * periodMicros;
    let byKey = slices.get(slice);
    if (byKey === undefined) {
      byKey = new Map();
      slices.set(slice, byKey);
    }
    const key = keys.length === 1 ? keys[0] : keys.join("\u0001");
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { keys: keys, builder: newBuilder() };
      byKey.set(key, entry);
    }
    addEvent(entry.builder, event, view.tally);
  }
  const out: beam.KV<string, SlicePane>[] = [];
  for (const [slice, byKey] of slices) {
    for (const [key, entry] of byKey) out.push({ key: key, value: { keys: entry.keys, slice: slice, tally: built(entry.builder) } });
  }
  return out;
}

export function sliceTime(kv: beam.KV<string, SlicePane>): Long {
  return Long.fromNumber(kv.value.slice / 1000);
}

/**
 * Whether a window whose end is `endMicros` has expired: Beam's rule, its
 * last instant (end minus Beam's 1 ms) plus the allowed lateness is behind
 * the input watermark. Its panes can no longer change the view.
 */
export function windowExpired(endMicros: number, allowedLatenessMicros: number, watermarkMicros: number): boolean {
  return endMicros - 1000 + allowedLatenessMicros < watermarkMicros;
}

/** Counter of events that arrived after at least one of their windows had expired. */
export const TOO_LATE_FOR_VIEWS = "events_too_late_for_views";

/**
 * Events too late for at least one view's window: the earliest-closing
 * window of an event ends at the next boundary of the view's period, for
 * tumbling and sliding windows alike. Counted, not dropped: they are still
 * stored in `user_events`.
 */
export function countTooLate(events: OttEvent[], context: { periodsMicros: number[]; allowedLatenessMicros: number; tooLate: beam.Counter }): never[] {
  const watermark = currentBundle.watermarkMicros;
  if (watermark === Number.NEGATIVE_INFINITY) return [];
  let late = 0;
  for (const event of events) {
    for (const period of context.periodsMicros) {
      if (windowExpired(Math.floor(event.timestamp / period) * period + period, context.allowedLatenessMicros, watermark)) {
        late++;
        break;
      }
    }
  }
  context.tooLate.increment(late);
  return [];
}

/**
 * After GroupByKey in a window: the key's slices merged into one pane of that
 * window; nothing once the window has expired (what Beam's GroupByKey does
 * with late data past the allowed lateness).
 */
export function windowPane(kv: beam.KV<string, Iterable<SlicePane>>, context: { view: string; allowedLatenessMicros: number; window: ParDoLookupParam<IntervalWindow> }): Row[] {
  const view = OTT_VIEWS[context.view];
  const window = context.window.lookup();
  if (windowExpired(window.end.toNumber() * 1000, context.allowedLatenessMicros, currentBundle.watermarkMicros)) return [];
  const slices = [...kv.value];
  const start = window.start.toNumber() * 1000;
  const pane: ViewPane = { window_start: start, window_end: window.end.toNumber() * 1000, window_date: utcDay(start), tally: mergeTallies(slices.map((s) => s.tally)) };
  const columns = keyColumns(view);
  for (let i = 0; i < columns.length; i++) pane[columns[i]] = slices[0].keys[i];
  return [pane];
}

/**
 * PTransform: a view's panes from the valid events of each chunk, on event
 * time: slice tallies stamped with their slice's start (assignTimestamps),
 * windowed (fixed or sliding windows), grouped by key and merged per window.
 * Each bundle yields one pane per window and key that has not expired; the
 * sink merges panes of the same window and key across bundles (mergeSpecOf):
 * accumulating panes, so an event within the allowed lateness updates its
 * window's row.
 */
export function windowedView(events: beam.PCollection<OttEvent[]>, view: OttView, allowedLatenessMicros: number): beam.PCollection<Row[]> {
  const name = view.table.name;
  const windows = view.periodSec === view.sizeSec ? fixedWindows(view.sizeSec) : slidingWindows(view.sizeSec, view.periodSec);
  return events
    .flatMap(beam.withName(`Slices(${name})`, slicePanes), { view: name })
    .apply(beam.withName(`SliceTimes(${name})`, assignTimestamps(sliceTime)))
    .apply(beam.withName(`Windows(${name})`, windowInto(windows)))
    .apply(beam.withName(`GroupByKey(${name})`, groupByKey<string, SlicePane>()))
    .map(beam.withName(`WindowPanes(${name})`, windowPane), { view: name, allowedLatenessMicros, window: windowParam() as ParDoLookupParam<IntervalWindow> });
}

/** How the sink merges a view's panes and turns the merged state into the row. */
export function mergeSpecOf(view: OttView) {
  const columns = keyColumns(view);
  return {
    merge: (panes: readonly Row[]): Row => ({ ...panes[0], tally: mergeTallies(panes.map((p) => (p as ViewPane).tally)) }),
    output: (state: Row): Row | null => {
      const pane = state as ViewPane;
      const measures = view.measures(pane.tally);
      if (measures === null) return null;
      const row: Row = { window_start: pane.window_start, window_end: pane.window_end };
      for (const column of columns) row[column] = pane[column];
      return Object.assign(row, measures, { window_date: pane.window_date });
    },
  };
}

registerModule("transforms/ott/windowed-view", module.exports);
