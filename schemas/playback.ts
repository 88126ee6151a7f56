import { fieldSpecs, RowOf, tableSpec } from "./table";

export const PLAYBACK_EVENT_TYPES = ["start", "buffer", "error", "stop"] as const;

/** A video playback event, as players publish it: one event of a player session. */
export const playbackEventFields = fieldSpecs([
  { name: "event_id", type: "INT64", mode: "REQUIRED", min: 0, description: "Unique event id; the alert table's key." },
  { name: "session_id", type: "INT64", mode: "REQUIRED", min: 0, description: "Player session." },
  { name: "user_id", type: "INT64", mode: "REQUIRED", min: 0, description: "Viewer." },
  { name: "movie_id", type: "INT64", mode: "REQUIRED", min: 0, description: "Title being played." },
  { name: "event_type", type: "STRING", mode: "REQUIRED", allowed: PLAYBACK_EVENT_TYPES, description: "start, buffer, error or stop." },
  { name: "event_timestamp", type: "TIMESTAMP", mode: "REQUIRED", description: "Event time, UTC." },
  { name: "buffer_duration_ms", type: "INT64", mode: "NULLABLE", min: 0, description: "Time spent buffering, in milliseconds." },
  { name: "bitrate_kbps", type: "INT64", mode: "NULLABLE", min: 0, description: "Stream bitrate, in kbit/s." },
  { name: "city", type: "STRING", mode: "NULLABLE", description: "Viewer's city." },
  { name: "isp", type: "STRING", mode: "NULLABLE", description: "Viewer's internet provider." },
  { name: "country", type: "STRING", mode: "NULLABLE", description: "Viewer's country." },
] as const);

const alertFields = [
  ...playbackEventFields,
  { name: "run_date", type: "DATE", mode: "REQUIRED", description: "UTC date of event_timestamp; the partition column." },
] as const;

export const videoPlaybackAlerts = tableSpec({
  name: "video_playback_alerts",
  description: "Playback events that need attention: errors, and buffering longer than the threshold.",
  fields: alertFields,
  key: ["event_id"],
  partitionField: "run_date",
  clustering: ["city", "isp"],
} as const);

export type PlaybackEvent = RowOf<typeof playbackEventFields>;
export type PlaybackAlert = RowOf<typeof alertFields>;
