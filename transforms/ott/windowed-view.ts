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

/** A chunk's tallies for one slice (a `period` of event time) and the keys of one shard, before windowing. */
export interface SliceShard {
  /** Start of the slice, epoch microseconds: the element's event time. */
  slice: number;
  /** One tally per key: its key columns' values, and them joined (the key). */
  panes: { key: string; keys: string[]; tally: Tally }[];
}

/**
 * Keys are grouped in this many shards, and a shard is one element: Beam's
 * per-element cost (windowing, GroupByKey) is paid per (slice, shard), not
 * per (slice, key), which for a view by user was about once per event. A
 * runner still spreads a view over this many workers.
 */
export const SHARDS = 16;

/** The shard of a key: a stable hash of its text (FNV-1a). */
export function shardOf(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return String((h >>> 0) % SHARDS);
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
 * Combiner lifting by hand: one tally per (slice, key) of the chunk, one
 * element per (slice, shard of keys). A slice is the view's period, so every
 * event of a slice falls in the same windows, and Beam's window assignment
 * of the slice's start time is exact.
 */
export function slicePanes(events: OttEvent[], context: { view: string }): beam.KV<string, SliceShard>[] {
  const view = OTT_VIEWS[context.view];
  const periodMicros = view.periodSec * 1e6;
  // By slice, then by key: no per-event string for the slice.
  const slices = new Map<number, Map<string, { keys: string[]; builder: TallyBuilder }>>();
  // A chunk spans seconds of event time: consecutive events are nearly always in the same slice.
  let lastSlice = Number.NaN;
  let byKey = new Map<string, { keys: string[]; builder: TallyBuilder }>();
  for (const event of events) {
    const keys = view.keyOf(event);
    if (keys === null) continue;
    const slice = Math.floor(event.timestamp / periodMicros) * periodMicros;
    if (slice !== lastSlice) {
      lastSlice = slice;
      const known = slices.get(slice);
      if (known === undefined) {
        byKey = new Map();
        slices.set(slice, byKey);
      } else byKey = known;
    }
    const key = keys.length === 1 ? keys[0] : keys.join("\u0001");
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { keys: keys, builder: newBuilder(view.tally) };
      byKey.set(key, entry);
    }
    addEvent(entry.builder, event, view.tally);
  }
  const out: beam.KV<string, SliceShard>[] = [];
  for (const [slice, byKey] of slices) {
    const shards = new Map<string, SliceShard>();
    for (const [key, entry] of byKey) {
      const shard = shardOf(key);
      let element = shards.get(shard);
      if (element === undefined) {
        element = { slice: slice, panes: [] };
        shards.set(shard, element);
        out.push({ key: shard, value: element });
      }
      element.panes.push({ key: key, keys: entry.keys, tally: built(entry.builder) });
    }
  }
  return out;
}

export function sliceTime(kv: beam.KV<string, SliceShard>): Long {
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
 * After GroupByKey in a window: each key's slices in the shard merged into
 * one pane of that window; nothing once the window has expired (what Beam's
 * GroupByKey does with late data past the allowed lateness).
 */
export function windowPane(kv: beam.KV<string, Iterable<SliceShard>>, context: { view: string; allowedLatenessMicros: number; window: ParDoLookupParam<IntervalWindow> }): Row[] {
  const view = OTT_VIEWS[context.view];
  const window = context.window.lookup();
  if (windowExpired(window.end.toNumber() * 1000, context.allowedLatenessMicros, currentBundle.watermarkMicros)) return [];
  const byKey = new Map<string, { keys: string[]; tallies: Tally[] }>();
  for (const shard of kv.value) {
    for (const slice of shard.panes) {
      const entry = byKey.get(slice.key);
      if (entry === undefined) byKey.set(slice.key, { keys: slice.keys, tallies: [slice.tally] });
      else entry.tallies.push(slice.tally);
    }
  }
  const start = window.start.toNumber() * 1000, end = window.end.toNumber() * 1000, date = utcDay(start);
  const columns = keyColumns(view);
  const panes: Row[] = [];
  for (const entry of byKey.values()) {
    // Tallies are never changed once built, so a key's only slice is its pane's tally as it is.
    const tally = entry.tallies.length === 1 ? entry.tallies[0] : mergeTallies(entry.tallies);
    const pane: ViewPane = { window_start: start, window_end: end, window_date: date, tally: tally };
    for (let i = 0; i < columns.length; i++) pane[columns[i]] = entry.keys[i];
    panes.push(pane);
  }
  return panes;
}

/**
 * PTransform: a view's panes from the valid events of each chunk, on event
 * time: slice tallies stamped with their slice's start (assignTimestamps),
 * windowed (fixed or sliding windows), grouped by shard of keys and merged
 * per key and window.
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
    .apply(beam.withName(`GroupByKey(${name})`, groupByKey<string, SliceShard>()))
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
