import { registerModule } from "../core/registry";
import { PlaybackAlert, PlaybackEvent, playbackEventFields, videoPlaybackAlerts } from "../../schemas/playback";
import { utcDay } from "../../schemas/timestamp";
import { normalizeRow, project, Rejection } from "../core/validate";

export const DEFAULT_BUFFER_THRESHOLD_MS = 4000;

/** A playback event read against its field specs (schemas/playback.ts), or why it cannot be. */
export function decodePlaybackEvent(value: unknown): PlaybackEvent | Rejection {
  return normalizeRow(value, playbackEventFields) as PlaybackEvent | Rejection;
}

/** The alert rule: an error, or buffering strictly longer than the threshold. */
export function isPlaybackAlert(event: PlaybackEvent, bufferThresholdMs: number): boolean {
  return event.event_type === "error" || (event.buffer_duration_ms !== null && event.buffer_duration_ms > bufferThresholdMs);
}

/** The alerts among `events`, each with its partition date (UTC date of the event). */
export function detectAlerts(events: readonly PlaybackEvent[], bufferThresholdMs: number): PlaybackAlert[] {
  const alerts: PlaybackAlert[] = [];
  for (const event of events) {
    if (isPlaybackAlert(event, bufferThresholdMs)) {
      const alert = project(event, videoPlaybackAlerts.fields) as PlaybackAlert;
      alert.run_date = utcDay(event.event_timestamp);
      alerts.push(alert);
    }
  }
  return alerts;
}

registerModule("transforms/playback/alerts", module.exports);
