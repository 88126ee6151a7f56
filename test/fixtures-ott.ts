/**
 * A small hand-computed OTT stream (docs/ott.md works through its views).
 * T is 2024-06-01 20:00:00 UTC; users u1-u3 send the nested shape, u4 the flat one.
 */
const T = Date.UTC(2024, 5, 1, 20);
export const at = (seconds: number): string => new Date(T + seconds * 1000).toISOString();

const u1 = { device: { type: "mobile", os: "iOS", browser: "app", model: "iPhone" }, location: { country: "US", region: "New York", city: "New York" }, quality: { resolution: "HD", bitrate: 3000 }, profile: { age_group: "25-34", gender: "female" } };
const u2 = { device: { type: "tv", os: "tvOS", browser: "app", model: "Apple TV" }, location: { country: "US", region: "New York", city: "New York" }, quality: { resolution: "4K", bitrate: 8000 }, profile: { age_group: "35-44", gender: "male" } };
const u3 = { device: { type: "web", os: "Windows", browser: "Chrome", model: "PC" }, location: { country: "GB", region: "England", city: "London" }, quality: { resolution: "SD", bitrate: 1000 } };
const titleA = { title: "Alpha", type: "movie", genre: "Drama", maturity_rating: "TV-MA", duration_seconds: 6000 };
const titleB = { title: "Beta", type: "movie", genre: "Comedy", maturity_rating: "PG", duration_seconds: 5400 };

const nested = (id: number, user: string, profile: object, content: string, meta: object, type: string, seconds: number, session: string, extra: object = {}) =>
  JSON.stringify({ event_id: `e${id}`, user_id: user, content_id: content, event_type: type, timestamp: at(seconds), session_id: session, position: 0, ...profile, content: meta, ...extra });

const flat = (id: number, type: string, seconds: number, extra: object) =>
  JSON.stringify({
    event_id: `e${id}`, user_id: "u4", session_id: "s4", content_id: "c2", content_title: "Beta", content_type: "movie", genre: "Comedy", maturity_rating: "PG",
    event_type: type, event_timestamp: at(seconds), device_type: "tablet", device_os: "Android", country: "GB", city: "London", latitude: 51.51, longitude: -0.13,
    subscription_tier: "standard", video_quality: "HD", bitrate_kbps: 2000, age_group: "18-24", gender: "other", ...extra,
  });

export const HAND_STREAM: readonly string[] = [
  nested(1, "u1", u1, "c1", titleA, "start", 0, "s1"),
  nested(2, "u2", u2, "c1", titleA, "start", 5, "s2"),
  nested(3, "u1", u1, "c1", titleA, "pause", 9.999, "s1", { position: 100 }),
  nested(4, "u3", u3, "c2", titleB, "start", 10, "s3"), // exactly at the end of [0 s, 10 s): belongs to [10 s, 20 s)
  nested(5, "u2", u2, "c1", titleA, "complete", 30, "s2", { position: 600 }),
  nested(6, "u3", u3, "c2", titleB, "buffer", 31, "s3", { buffer_ms: 1000 }),
  nested(7, "u3", u3, "c2", titleB, "buffer", 32, "s3", { buffer_ms: 2000 }),
  flat(8, "buffer_event", 33, { buffer_duration_ms: 3000 }),
  nested(9, "u1", u1, "c1", titleA, "rate", 40, "s1", { rating: 4 }),
  flat(10, "video_stop", 70, { watch_duration_seconds: 50 }),
];
