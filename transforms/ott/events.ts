import { registerModule } from "../core/registry";
import { OttEvent, ottEventFields, FLAT_SHAPE_EVENT_TYPES, flatShapeFields, userEvents } from "../../schemas/ott";
import { Row } from "../../schemas/table";
import { utcDay } from "../../schemas/timestamp";
import { isRejection, normalizeRow, project, reject, Rejection } from "../core/validate";

/** Event types that end a viewing stint: the ones whose watch time counts. */
const STINT_ENDS = new Set(["pause", "stop", "complete"]);

/** The flat shape (legacy clients) is recognised by its event types (all of them differ from the nested shape's). */
function isFlatShape(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as Row).event_type;
  return typeof type === "string" && FLAT_SHAPE_EVENT_TYPES[type] !== undefined;
}

/** A record with at least one non-null field, or null (an all-null record is absent). */
function record(fields: Row): Row | null {
  for (const key in fields) if (fields[key] !== null && fields[key] !== undefined) return fields;
  return null;
}

/** A flat-shape event onto the model (the mapping is documented in docs/ott.md). */
function fromFlatShape(flat: Row): OttEvent {
  const type = FLAT_SHAPE_EVENT_TYPES[flat.event_type as string];
  return {
    event_id: flat.event_id as string,
    user_id: flat.user_id as string,
    content_id: flat.content_id as string,
    event_type: type,
    timestamp: flat.event_timestamp as number,
    session_id: flat.session_id as string,
    position: null,
    buffer_ms: flat.buffer_duration_ms as number | null,
    device: record({ type: flat.device_type, os: flat.device_os, browser: null, model: null }),
    location: record({ country: flat.country, region: null, city: flat.city, latitude: flat.latitude, longitude: flat.longitude }),
    quality: record({ resolution: flat.video_quality, bitrate: flat.bitrate_kbps }),
    rating: null,
    subscription_tier: flat.subscription_tier as string | null,
    profile: record({ age_group: flat.age_group, gender: flat.gender }),
    content: record({ title: flat.content_title, type: flat.content_type, genre: flat.genre, maturity_rating: flat.maturity_rating, duration_seconds: null }),
    watch_seconds: STINT_ENDS.has(type) ? (flat.watch_duration_seconds as number | null) : null,
    source_shape: "seed003",
    event_date: utcDay(flat.event_timestamp as number),
  } as OttEvent;
}

/**
 * An OTT event of either shape, validated and mapped onto the one model
 * (user_events' row), or why it cannot be. The nested shape's `rating` must be
 * present exactly on `rate` events.
 */
export function decodeOttEvent(value: unknown): OttEvent | Rejection {
  if (isFlatShape(value)) {
    const flat = normalizeRow(value, flatShapeFields);
    return isRejection(flat) ? flat : fromFlatShape(flat);
  }
  const row = normalizeRow(value, ottEventFields);
  if (isRejection(row)) return row;
  const event = project(row, userEvents.fields) as OttEvent;
  if ((event.event_type === "rate") !== (event.rating !== null)) {
    return reject("rating_mismatch", event.event_type === "rate" ? "rate events need a rating (1-5)" : `rating is only allowed on rate events, not on ${event.event_type}`);
  }
  event.watch_seconds = STINT_ENDS.has(event.event_type) ? event.position : null;
  event.source_shape = "seed001";
  event.event_date = utcDay(event.timestamp);
  return event;
}

registerModule("transforms/ott/events", module.exports);
