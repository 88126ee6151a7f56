import { registerModule } from "../core/registry";
import { OTT_VIEW_TABLES, OttEvent } from "../../schemas/ott";
import { Row, TableSpec } from "../../schemas/table";
import { median, Tally, TallyConfig, typeIndex } from "./tally";

/**
 * One windowed view: which table, which event-time window, what the key is,
 * what the tally counts and how a merged tally becomes the row's measures.
 * Windows are aligned to the epoch; `period` equals `size` for tumbling windows.
 */
export interface OttView {
  readonly table: TableSpec;
  readonly sizeSec: number;
  readonly periodSec: number;
  /** The key columns' values for an event (in the table's key order), or null when the event does not count. */
  readonly keyOf: (event: OttEvent) => string[] | null;
  readonly tally: TallyConfig;
  /** The measure columns of a merged tally, or null when the key has no row (yet). */
  readonly measures: (tally: Tally) => Row | null;
}

const UNKNOWN = "unknown";
const orUnknown = (value: string | null | undefined): string => value ?? UNKNOWN;
const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;
const mean = (sum: number, n: number): number | null => (n === 0 ? null : round(sum / n, 3));
const count = (t: Tally, type: string): number => t.types[typeIndex(type)];

/** Buffering hotspots: the buffer events a (title, city) needs in a window to be one. */
export const HOTSPOT_MIN_BUFFER_EVENTS = 3;

/** Engagement segments, from the score's lower bounds down. */
export const ENGAGEMENT_SEGMENTS: readonly (readonly [number, string])[] = [[60, "highly_engaged"], [35, "engaged"], [15, "casual"], [0, "passive"]];

/** The engagement window; watch time counts up to its length. */
export const ENGAGEMENT_WINDOW_SEC = 600;

/**
 * Engagement score of a user's window, 0-100: watching (4 points a minute,
 * at most the window's 10 minutes: 40), finishing (15 per completed title, at
 * most 30), rating (10 per rating, at most 20) and activity (1 per event, at
 * most 10).
 */
export function engagementScore(watchSeconds: number, completes: number, ratings: number, events: number): number {
  const watching = 4 * (Math.min(watchSeconds, ENGAGEMENT_WINDOW_SEC) / 60);
  return round(watching + Math.min(30, 15 * completes) + Math.min(20, 10 * ratings) + Math.min(10, events), 1);
}

export function engagementSegment(score: number): string {
  return ENGAGEMENT_SEGMENTS.find((s) => score >= s[0])![1];
}

/** completes / plays, capped at 1 (a completion may belong to a play before the window); null without plays. */
export function completionRate(plays: number, completes: number): number | null {
  return plays === 0 ? null : round(Math.min(1, completes / plays), 4);
}

export const watchSeconds = (e: OttEvent): number | null => e.watch_seconds;
export const bitrate = (e: OttEvent): number | null => e.quality?.bitrate ?? null;
export const bufferMs = (e: OttEvent): number | null => e.buffer_ms;

const audience = (t: Tally): Row => ({ plays: count(t, "start"), viewers: t.users.length, events: t.events });

/** Every view, by table name. */
export const OTT_VIEWS: Record<string, OttView> = {};

function define(view: OttView): void {
  OTT_VIEWS[view.table.name] = view;
}

define({
  table: OTT_VIEW_TABLES.viewersPerTitle, sizeSec: 10, periodSec: 10,
  keyOf: (e) => [e.content_id],
  tally: { users: true, sessions: true, label: true },
  measures: (t) => ({ title: t.label, viewers: t.users.length, sessions: t.sessions.length, events: t.events }),
});

define({
  table: OTT_VIEW_TABLES.watchTime, sizeSec: 300, periodSec: 60,
  keyOf: (e) => (e.watch_seconds === null ? null : [e.content_id]),
  tally: { histogram: true, label: true, metric: watchSeconds },
  measures: (t) => ({
    title: t.label, stints: t.n, avg_watch_seconds: mean(t.sum, t.n), min_watch_seconds: t.min, max_watch_seconds: t.max, median_watch_seconds: median(t),
  }),
});

define({
  table: OTT_VIEW_TABLES.trending, sizeSec: 300, periodSec: 60,
  keyOf: (e) => [e.content_id],
  tally: { users: true, label: true },
  measures: (t) => {
    const rate = completionRate(count(t, "start"), count(t, "complete"));
    return {
      title: t.label, plays: count(t, "start"), completes: count(t, "complete"), viewers: t.users.length,
      completion_rate: rate, trending_score: round(t.users.length * (1 + (rate ?? 0)), 4),
    };
  },
});

define({
  table: OTT_VIEW_TABLES.geo, sizeSec: 30, periodSec: 30,
  keyOf: (e) => [orUnknown(e.location?.country), orUnknown(e.location?.city)],
  tally: { users: true },
  measures: (t) => ({ viewers: t.users.length, events: t.events }),
});

define({
  table: OTT_VIEW_TABLES.devices, sizeSec: 60, periodSec: 60,
  keyOf: (e) => [orUnknown(e.device?.type), orUnknown(e.quality?.resolution)],
  tally: { users: true, metric: bitrate },
  measures: (t) => ({ viewers: t.users.length, events: t.events, avg_bitrate: mean(t.sum, t.n), min_bitrate: t.min, max_bitrate: t.max }),
});

define({
  table: OTT_VIEW_TABLES.bufferingHotspots, sizeSec: 60, periodSec: 60,
  keyOf: (e) => (e.event_type === "buffer" ? [e.content_id, orUnknown(e.location?.city)] : null),
  tally: { users: true, label: true, metric: bufferMs },
  measures: (t) =>
    t.events < HOTSPOT_MIN_BUFFER_EVENTS ? null : { title: t.label, buffer_events: t.events, viewers_affected: t.users.length, avg_buffer_ms: mean(t.sum, t.n) },
});

define({
  table: OTT_VIEW_TABLES.engagement, sizeSec: ENGAGEMENT_WINDOW_SEC, periodSec: 300,
  keyOf: (e) => [e.user_id],
  tally: { sessions: true, titles: true, metric: watchSeconds },
  measures: (t) => {
    const score = engagementScore(t.sum, count(t, "complete"), t.ratings, t.events);
    return {
      events: t.events, sessions: t.sessions.length, titles: t.titles.length, watch_seconds: t.sum, completes: count(t, "complete"),
      ratings: t.ratings, avg_rating: mean(t.rating_sum, t.ratings), engagement_score: score, segment: engagementSegment(score),
    };
  },
});

define({ table: OTT_VIEW_TABLES.maturityByLocation, sizeSec: 300, periodSec: 300, keyOf: (e) => [orUnknown(e.location?.country), orUnknown(e.content?.maturity_rating)], tally: { users: true }, measures: audience });
define({ table: OTT_VIEW_TABLES.ageGender, sizeSec: 300, periodSec: 300, keyOf: (e) => [orUnknown(e.profile?.age_group), orUnknown(e.profile?.gender)], tally: { users: true }, measures: audience });
define({ table: OTT_VIEW_TABLES.deviceGenre, sizeSec: 300, periodSec: 300, keyOf: (e) => [orUnknown(e.device?.type), orUnknown(e.content?.genre)], tally: { users: true }, measures: audience });

registerModule("transforms/ott/views", module.exports);
