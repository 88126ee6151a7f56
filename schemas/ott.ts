import { FieldSpec, fieldSpecs, RowOf, tableSpec, TableSpec } from "./table";

/** The event model's types: the nested shape's six, plus the flat shape's `stop` and `buffer` (docs/ott.md maps the shapes). */
export const OTT_EVENT_TYPES = ["start", "pause", "resume", "complete", "seek", "rate", "stop", "buffer"] as const;

/** Where an event came from: the nested shape (current clients) or the flat one (legacy clients); the stored values name the specs that defined them. */
export const OTT_SHAPES = ["seed001", "seed003"] as const;

const deviceFields = fieldSpecs([
  { name: "type", type: "STRING", mode: "NULLABLE", description: "mobile, tv, web, tablet, ..." },
  { name: "os", type: "STRING", mode: "NULLABLE", description: "Operating system." },
  { name: "browser", type: "STRING", mode: "NULLABLE", description: "Browser, or app." },
  { name: "model", type: "STRING", mode: "NULLABLE", description: "Device model." },
] as const);

const locationFields = fieldSpecs([
  { name: "country", type: "STRING", mode: "NULLABLE", description: "ISO country code." },
  { name: "region", type: "STRING", mode: "NULLABLE", description: "Region or state." },
  { name: "city", type: "STRING", mode: "NULLABLE", description: "City." },
  { name: "latitude", type: "FLOAT64", mode: "NULLABLE", description: "Latitude (seed 003)." },
  { name: "longitude", type: "FLOAT64", mode: "NULLABLE", description: "Longitude (seed 003)." },
] as const);

const qualityFields = fieldSpecs([
  { name: "resolution", type: "STRING", mode: "NULLABLE", description: "SD, HD, 4K, ..." },
  { name: "bitrate", type: "INT64", mode: "NULLABLE", min: 0, description: "Stream bitrate, kbit/s." },
] as const);

const profileFields = fieldSpecs([
  { name: "age_group", type: "STRING", mode: "NULLABLE", description: "Viewer's age group (seed 002)." },
  { name: "gender", type: "STRING", mode: "NULLABLE", description: "Viewer's gender (seed 002)." },
] as const);

const contentFields = fieldSpecs([
  { name: "title", type: "STRING", mode: "NULLABLE", description: "Title's name." },
  { name: "type", type: "STRING", mode: "NULLABLE", description: "movie, series_episode, documentary, special." },
  { name: "genre", type: "STRING", mode: "NULLABLE", description: "Genre (seed 002)." },
  { name: "maturity_rating", type: "STRING", mode: "NULLABLE", description: "Maturity rating, e.g. TV-MA (seed 002)." },
  { name: "duration_seconds", type: "INT64", mode: "NULLABLE", min: 0, description: "Length of the title." },
] as const);

/** The fields an event of the nested shape carries (what `event_type` and the records mean: docs/ott.md). */
export const ottEventFields = fieldSpecs([
  { name: "event_id", type: "STRING", mode: "REQUIRED", description: "Unique event id; the table's key." },
  { name: "user_id", type: "STRING", mode: "REQUIRED", description: "Viewer." },
  { name: "content_id", type: "STRING", mode: "REQUIRED", description: "Title." },
  { name: "event_type", type: "STRING", mode: "REQUIRED", allowed: OTT_EVENT_TYPES, description: "start, pause, resume, complete, seek, rate, stop or buffer." },
  { name: "timestamp", type: "TIMESTAMP", mode: "REQUIRED", description: "Event time, UTC." },
  { name: "session_id", type: "STRING", mode: "REQUIRED", description: "Viewing session." },
  { name: "position", type: "INT64", mode: "NULLABLE", min: 0, description: "Playhead, seconds into the title." },
  { name: "buffer_ms", type: "INT64", mode: "NULLABLE", min: 0, description: "Time spent buffering (buffer events), ms." },
  { name: "device", type: "RECORD", mode: "NULLABLE", fields: deviceFields, description: "Device the event came from." },
  { name: "location", type: "RECORD", mode: "NULLABLE", fields: locationFields, description: "Viewer's location." },
  { name: "quality", type: "RECORD", mode: "NULLABLE", fields: qualityFields, description: "Stream quality." },
  { name: "rating", type: "INT64", mode: "NULLABLE", min: 1, max: 5, description: "The viewer's rating, 1-5: on rate events only." },
  { name: "subscription_tier", type: "STRING", mode: "NULLABLE", description: "basic, standard, premium (seed 003)." },
  { name: "profile", type: "RECORD", mode: "NULLABLE", fields: profileFields, description: "Viewer's profile (seed 002)." },
  { name: "content", type: "RECORD", mode: "NULLABLE", fields: contentFields, description: "Title's attributes (seeds 002, 003)." },
] as const);

const userEventFields = [
  ...ottEventFields,
  { name: "watch_seconds", type: "INT64", mode: "NULLABLE", min: 0, description: "Seconds watched in the stint this event ends (pause, stop, complete); null otherwise." },
  { name: "source_shape", type: "STRING", mode: "REQUIRED", allowed: OTT_SHAPES, description: "seed001 (nested) or seed003 (flat): the shape the event arrived in." },
  { name: "event_date", type: "DATE", mode: "REQUIRED", description: "UTC date of timestamp; the partition column." },
] as const;

/** The OTT event table, nested records kept nested. */
export const userEvents = tableSpec({
  name: "user_events",
  description: "OTT viewing events in one model, from both input shapes.",
  fields: userEventFields,
  key: ["event_id"],
  partitionField: "event_date",
  clustering: ["content_id", "event_type"],
} as const);

export type OttEvent = RowOf<typeof userEventFields>;

/**
 * The flat shape legacy clients send (documented in docs/ott.md). Its
 * `event_type` values are `video_start`, `video_pause`, `video_stop`,
 * `video_complete` and `buffer_event`.
 */
export const FLAT_SHAPE_EVENT_TYPES: Readonly<Record<string, (typeof OTT_EVENT_TYPES)[number]>> = {
  video_start: "start",
  video_pause: "pause",
  video_stop: "stop",
  video_complete: "complete",
  buffer_event: "buffer",
};

export const flatShapeFields = fieldSpecs([
  { name: "event_id", type: "STRING", mode: "REQUIRED", description: "" },
  { name: "user_id", type: "STRING", mode: "REQUIRED", description: "" },
  { name: "session_id", type: "STRING", mode: "REQUIRED", description: "" },
  { name: "content_id", type: "STRING", mode: "REQUIRED", description: "" },
  { name: "event_type", type: "STRING", mode: "REQUIRED", allowed: Object.keys(FLAT_SHAPE_EVENT_TYPES), description: "" },
  { name: "event_timestamp", type: "TIMESTAMP", mode: "REQUIRED", description: "" },
  { name: "content_title", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "content_type", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "genre", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "maturity_rating", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "watch_duration_seconds", type: "INT64", mode: "NULLABLE", min: 0, description: "" },
  { name: "buffer_duration_ms", type: "INT64", mode: "NULLABLE", min: 0, description: "" },
  { name: "device_type", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "device_os", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "country", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "city", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "latitude", type: "FLOAT64", mode: "NULLABLE", description: "" },
  { name: "longitude", type: "FLOAT64", mode: "NULLABLE", description: "" },
  { name: "subscription_tier", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "video_quality", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "bitrate_kbps", type: "INT64", mode: "NULLABLE", min: 0, description: "" },
  { name: "age_group", type: "STRING", mode: "NULLABLE", description: "" },
  { name: "gender", type: "STRING", mode: "NULLABLE", description: "" },
] as const);

const windowFields = fieldSpecs([
  { name: "window_start", type: "TIMESTAMP", mode: "REQUIRED", description: "Start of the event-time window (inclusive)." },
  { name: "window_end", type: "TIMESTAMP", mode: "REQUIRED", description: "End of the window (exclusive)." },
] as const);

const windowDate: FieldSpec = { name: "window_date", type: "DATE", mode: "REQUIRED", description: "UTC date of window_start; the partition column." };

const str = (name: string, description: string): FieldSpec => ({ name, type: "STRING", mode: "NULLABLE", description });
const int = (name: string, description: string): FieldSpec => ({ name, type: "INT64", mode: "REQUIRED", description });
const float = (name: string, description: string): FieldSpec => ({ name, type: "FLOAT64", mode: "NULLABLE", description });

/** A windowed view's table: keyed by window start and the view's keys; one row per window and key. */
function viewTable(name: string, description: string, keys: readonly FieldSpec[], measures: readonly FieldSpec[]): TableSpec {
  return {
    name,
    description,
    fields: [...windowFields, ...keys.map((k) => ({ ...k, mode: "REQUIRED" as const })), ...measures, windowDate],
    key: ["window_start", ...keys.map((k) => k.name)],
    partitionField: "window_date",
    clustering: keys.slice(0, 2).map((k) => k.name),
  };
}

const viewers = int("viewers", "Distinct users with an event in the window.");
const events = int("events", "Events in the window.");
const contentId = str("content_id", "Title.");
const title = str("title", "Title's name (from the events).");
const country = str("country", "Country code, or 'unknown'.");
const city = str("city", "City, or 'unknown'.");
const deviceType = str("device_type", "Device type, or 'unknown'.");
const plays = int("plays", "start events: plays begun in the window.");

/** Every windowed view (windows, keys and formulas: docs/ott.md). */
export const OTT_VIEW_TABLES = {
  viewersPerTitle: viewTable("ott_viewers_per_title", "Viewers per title, 10 s tumbling windows (seed 003).", [contentId], [
    title, viewers, int("sessions", "Distinct sessions."), events,
  ]),
  watchTime: viewTable("ott_watch_time", "Watch time per title, 5 min windows sliding every 1 min (seed 003).", [contentId], [
    title, int("stints", "Events ending a viewing stint (pause, stop, complete) with a watch time."),
    float("avg_watch_seconds", "Mean watch time of the stints."), float("min_watch_seconds", "Shortest."),
    float("max_watch_seconds", "Longest."), float("median_watch_seconds", "Median (exact; mean of the two middle values for an even count)."),
  ]),
  trending: viewTable("ott_trending", "Trending titles, 5 min windows hopping every 1 min, weighted by completion rate (seed 003).", [contentId], [
    title, plays, int("completes", "complete events."), viewers,
    float("completion_rate", "completes / plays, capped at 1; null without plays."),
    float("trending_score", "viewers x (1 + completion_rate)."),
  ]),
  geo: viewTable("ott_geo_distribution", "Viewers by country and city, 30 s tumbling windows (seed 003).", [country, city], [viewers, events]),
  devices: viewTable("ott_device_distribution", "Device types with stream quality, 1 min tumbling windows (seed 003).", [deviceType, str("resolution", "Resolution, or 'unknown'.")], [
    viewers, events, float("avg_bitrate", "Mean bitrate, kbit/s."), float("min_bitrate", "Lowest bitrate."), float("max_bitrate", "Highest bitrate."),
  ]),
  bufferingHotspots: viewTable("ott_buffering_hotspots", "Titles and cities with 3 or more buffer events, 1 min tumbling windows (seed 003).", [contentId, city], [
    title, int("buffer_events", "Buffer events (at least 3)."), int("viewers_affected", "Distinct users who buffered."),
    float("avg_buffer_ms", "Mean buffering time of the events that report it."),
  ]),
  engagement: viewTable("ott_engagement", "Engagement score per user, 10 min windows sliding every 5 min (seed 003).", [str("user_id", "Viewer.")], [
    events, int("sessions", "Distinct sessions."), int("titles", "Distinct titles."), int("watch_seconds", "Sum of stint watch times."),
    int("completes", "complete events."), int("ratings", "rate events."), float("avg_rating", "Mean rating given."),
    float("engagement_score", "0-100: see docs/ott.md."), str("segment", "highly_engaged, engaged, casual or passive."),
  ]),
  maturityByLocation: viewTable("ott_trend_maturity_location", "Maturity ratings by location, 5 min tumbling windows (seed 002).", [country, str("maturity_rating", "Maturity rating, or 'unknown'.")], [plays, viewers, events]),
  ageGender: viewTable("ott_trend_age_gender", "Age groups by gender, 5 min tumbling windows (seed 002).", [str("age_group", "Age group, or 'unknown'."), str("gender", "Gender, or 'unknown'.")], [plays, viewers, events]),
  deviceGenre: viewTable("ott_trend_device_genre", "Device types by genre, 5 min tumbling windows (seed 002).", [deviceType, str("genre", "Genre, or 'unknown'.")], [plays, viewers, events]),
};
