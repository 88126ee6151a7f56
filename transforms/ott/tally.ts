import { registerModule } from "../core/registry";
import { OTT_EVENT_TYPES, OttEvent } from "../../schemas/ott";
import { Row } from "../../schemas/table";
import { sortedUnion } from "../core/sorted";

/**
 * The mergeable accumulator every windowed view uses: counts by event type,
 * exact distinct sets, and one numeric metric with its value histogram (so
 * the median is exact, as long as the metric is an integer, which watch
 * seconds, bitrates and buffer milliseconds are). Plain JSON: it travels as a
 * pane between micro-batches and is stored by the sink between commits.
 */
export interface Tally extends Row {
  events: number;
  /** Events per event type, indexed as OTT_EVENT_TYPES. */
  types: number[];
  /** Sorted distinct ids; empty when the view does not count them. */
  users: string[];
  sessions: string[];
  titles: string[];
  /** The metric over the events that have it. */
  n: number;
  sum: number;
  min: number | null;
  max: number | null;
  /** The metric's distinct values, ascending, and how many events had each (views that need a median only). */
  hist_values: number[];
  hist_counts: number[];
  ratings: number;
  rating_sum: number;
  /** A label for the key (the greatest title name seen, so merge order cannot change it). */
  label: string | null;
}

/** What a view counts: every part of a Tally a view does not need stays empty. */
export interface TallyConfig {
  users?: boolean;
  sessions?: boolean;
  titles?: boolean;
  histogram?: boolean;
  /** Keep the title's name as the label (views per title). */
  label?: boolean;
  /** The metric's value for an event, or null when the event has none. */
  metric?: (event: OttEvent) => number | null;
}

/** A tally being built inside one chunk: sets instead of sorted arrays, only those the view counts. */
export interface TallyBuilder {
  tally: Tally;
  users: Set<string> | null;
  sessions: Set<string> | null;
  titles: Set<string> | null;
  histogram: Map<number, number> | null;
}

const TYPE_INDEX = new Map<string, number>(OTT_EVENT_TYPES.map((type, i) => [type, i] as const));

/** Index of an event type in `Tally.types`. */
export const typeIndex = (type: string): number => TYPE_INDEX.get(type)!;

/**
 * The one empty list every tally shares for what it does not hold: a view
 * by user has about one tally per event, and no part of a tally's lists is
 * ever changed in place (merges make new ones).
 */
const NONE: never[] = Object.freeze([]) as unknown as never[];

export function emptyTally(): Tally {
  return {
    events: 0, types: OTT_EVENT_TYPES.map(() => 0), users: NONE, sessions: NONE, titles: NONE, n: 0, sum: 0, min: null, max: null,
    hist_values: NONE, hist_counts: NONE, ratings: 0, rating_sum: 0, label: null,
  };
}

export function newBuilder(config: TallyConfig): TallyBuilder {
  return {
    tally: emptyTally(),
    users: config.users ? new Set() : null,
    sessions: config.sessions ? new Set() : null,
    titles: config.titles ? new Set() : null,
    histogram: config.histogram ? new Map() : null,
  };
}

const greater = (a: string | null, b: string | null): string | null => (a === null ? b : b === null || a >= b ? a : b);

/** addInput, on a chunk's builder. */
export function addEvent(builder: TallyBuilder, event: OttEvent, config: TallyConfig): void {
  const t = builder.tally;
  t.events++;
  t.types[TYPE_INDEX.get(event.event_type)!]++;
  if (builder.users !== null) builder.users.add(event.user_id);
  if (builder.sessions !== null) builder.sessions.add(event.session_id);
  if (builder.titles !== null) builder.titles.add(event.content_id);
  if (event.rating !== null) {
    t.ratings++;
    t.rating_sum += event.rating;
  }
  if (config.label) t.label = greater(t.label, event.content?.title ?? null);
  const value = config.metric ? config.metric(event) : null;
  if (value !== null) {
    t.n++;
    t.sum += value;
    t.min = t.min === null ? value : Math.min(t.min, value);
    t.max = t.max === null ? value : Math.max(t.max, value);
    if (builder.histogram !== null) builder.histogram.set(value, (builder.histogram.get(value) ?? 0) + 1);
  }
}

const sorted = (set: Set<string> | null): string[] => (set === null || set.size === 0 ? NONE : set.size === 1 ? [...set] : [...set].sort());

/** The builder's tally, its sets as sorted arrays. */
export function built(builder: TallyBuilder): Tally {
  const t = builder.tally;
  t.users = sorted(builder.users);
  t.sessions = sorted(builder.sessions);
  t.titles = sorted(builder.titles);
  const histogram = builder.histogram;
  if (histogram !== null && histogram.size > 0) {
    t.hist_values = [...histogram.keys()].sort((a, b) => a - b);
    t.hist_counts = t.hist_values.map((v) => histogram.get(v)!);
  }
  return t;
}

/** Merges `b`'s histogram into `into` (both ascending by value). */
function mergeHistogram(into: Tally, b: Tally): void {
  if (b.hist_values.length === 0) return;
  const av = into.hist_values, ac = into.hist_counts, bv = b.hist_values, bc = b.hist_counts;
  const values: number[] = [], counts: number[] = [];
  let i = 0, j = 0;
  while (i < av.length || j < bv.length) {
    if (j >= bv.length || (i < av.length && av[i] < bv[j])) (values.push(av[i]), counts.push(ac[i++]));
    else if (i >= av.length || bv[j] < av[i]) (values.push(bv[j]), counts.push(bc[j++]));
    else (values.push(av[i]), counts.push(ac[i++] + bc[j++]));
  }
  into.hist_values = values;
  into.hist_counts = counts;
}

/** mergeAccumulators: any order, any grouping, same result. A new object; the inputs do not change. */
export function mergeTallies(tallies: Iterable<Tally>): Tally {
  const out = emptyTally();
  for (const t of tallies) {
    out.events += t.events;
    for (let i = 0; i < out.types.length; i++) out.types[i] += t.types[i];
    out.users = sortedUnion(out.users, t.users) as string[];
    out.sessions = sortedUnion(out.sessions, t.sessions) as string[];
    out.titles = sortedUnion(out.titles, t.titles) as string[];
    out.n += t.n;
    out.sum += t.sum;
    out.min = out.min === null ? t.min : t.min === null ? out.min : Math.min(out.min, t.min);
    out.max = out.max === null ? t.max : t.max === null ? out.max : Math.max(out.max, t.max);
    mergeHistogram(out, t);
    out.ratings += t.ratings;
    out.rating_sum += t.rating_sum;
    out.label = greater(out.label, t.label);
  }
  return out;
}

/** The exact median of the histogram's values: the mean of the two middle ones for an even count. */
export function median(t: Tally): number | null {
  if (t.n === 0) return null;
  const lower = Math.floor((t.n - 1) / 2), upper = Math.floor(t.n / 2);
  let seen = 0;
  let low: number | null = null;
  for (let i = 0; i < t.hist_values.length; i++) {
    seen += t.hist_counts[i];
    if (low === null && seen > lower) low = t.hist_values[i];
    if (seen > upper) return (low! + t.hist_values[i]) / 2;
  }
  return null;
}

registerModule("transforms/ott/tally", module.exports);
