import { expect } from "chai";
import { OttEvent } from "../../schemas/ott";
import { isRejection, Rejection } from "../../transforms/core/validate";
import { decodeOttEvent } from "../../transforms/ott/events";
import { admitEvent } from "../../transforms/ott/arrival";
import { enterBundle, exitBundle } from "../../transforms/core/bundle-context";
import { DUPLICATE } from "../../transforms/core/parse";
import { windowExpired } from "../../transforms/ott/windowed-view";
import { addEvent, built, median, mergeTallies, newBuilder, Tally } from "../../transforms/ott/tally";
import { completionRate, engagementScore, engagementSegment } from "../../transforms/ott/views";

const base = { event_id: "e1", user_id: "u1", content_id: "c1", event_type: "pause", timestamp: "2024-06-01T20:00:00Z", session_id: "s1", position: 120 };
const decoded = (value: object): OttEvent => {
  const event = decodeOttEvent(value);
  if (isRejection(event)) throw new Error(event.reason);
  return event;
};
const rejection = (value: object): Rejection => decodeOttEvent(value) as Rejection;

describe("OTT event model", () => {
  it("keeps the nested shape's records nested and derives watch time, shape and date", () => {
    const event = decoded({ ...base, device: { type: "tv", os: "tvOS", browser: "app", model: "X" }, quality: { resolution: "4K", bitrate: 9000 } });
    expect(event.device).to.deep.equal({ type: "tv", os: "tvOS", browser: "app", model: "X" });
    expect(event.quality).to.deep.equal({ resolution: "4K", bitrate: 9000 });
    expect(event.location).to.equal(null);
    expect(event.watch_seconds).to.equal(120);
    expect(event.source_shape).to.equal("seed001");
    expect(event.event_date).to.equal(Date.UTC(2024, 5, 1) / 86_400_000);
    expect(decoded({ ...base, event_type: "start" }).watch_seconds).to.equal(null);
  });

  it("maps the flat shape onto the model", () => {
    const event = decoded({
      event_id: "x", user_id: "u", session_id: "s", content_id: "c", content_title: "T", event_type: "video_complete", event_timestamp: "2024-06-01 20:00:05",
      watch_duration_seconds: 3000, device_type: "mobile", device_os: "iOS", country: "JP", city: "Tokyo", latitude: 35.68, longitude: 139.69,
      subscription_tier: "premium", video_quality: "4K", bitrate_kbps: 12000,
    });
    expect(event).to.include({ event_type: "complete", watch_seconds: 3000, position: null, rating: null, subscription_tier: "premium", source_shape: "seed003" });
    expect(event.device).to.deep.equal({ type: "mobile", os: "iOS", browser: null, model: null });
    expect(event.location).to.deep.equal({ country: "JP", region: null, city: "Tokyo", latitude: 35.68, longitude: 139.69 });
    expect(event.profile).to.equal(null);
    const buffer = decoded({ event_id: "b", user_id: "u", session_id: "s", content_id: "c", event_type: "buffer_event", event_timestamp: "2024-06-01 20:00:05", buffer_duration_ms: 700, watch_duration_seconds: 10 });
    expect(buffer).to.include({ event_type: "buffer", buffer_ms: 700, watch_seconds: null });
  });

  it("rejects bad events with a reason", () => {
    expect(rejection({ ...base, event_type: "rate" }).code).to.equal("rating_mismatch");
    expect(rejection({ ...base, rating: 3 }).code).to.equal("rating_mismatch");
    expect(rejection({ ...base, event_type: "rate", rating: 6 })).to.include({ code: "out_of_range" });
    expect(rejection({ ...base, event_type: "play" }).code).to.equal("not_allowed");
    expect(rejection({ ...base, timestamp: "yesterday" }).code).to.equal("bad_timestamp");
    expect(rejection({ ...base, device: "tv" })).to.include({ code: "not_object" });
    expect(rejection({ ...base, quality: { bitrate: "fast" } }).reason).to.match(/^quality: bitrate must be an integer/);
    expect(rejection({ event_id: "x", event_type: "video_start", event_timestamp: "2024-06-01 20:00:05" }).code).to.equal("missing_field");
  });
});

describe("OTT tally (the views' mergeable accumulator)", () => {
  const event = (user: string, watch: number | null): OttEvent => decoded({ ...base, user_id: user, session_id: `s-${user}`, event_type: watch === null ? "start" : "pause", position: watch ?? 0 });
  const tallyOf = (events: OttEvent[]): Tally => {
    const config = { users: true, sessions: true, histogram: true, metric: (x: OttEvent) => x.watch_seconds };
    const builder = newBuilder(config);
    for (const e of events) addEvent(builder, e, config);
    return built(builder);
  };
  const events = [event("a", 10), event("b", 40), event("a", 20), event("c", null), event("d", 40), event("b", 100)];

  it("gives the same tally however the events are split and merged", () => {
    const whole = tallyOf(events);
    const parts = [tallyOf(events.slice(0, 2)), tallyOf(events.slice(2, 3)), tallyOf(events.slice(3))];
    expect(mergeTallies(parts)).to.deep.equal(mergeTallies([whole]));
    expect(mergeTallies([parts[2], mergeTallies([parts[1], parts[0]])])).to.deep.equal(mergeTallies([whole]));
    expect(whole).to.include({ events: 6, n: 5, sum: 210, min: 10, max: 100 });
    expect(whole.users).to.deep.equal(["a", "b", "c", "d"]);
  });

  it("computes the exact median, the mean of the middle two for an even count", () => {
    expect(median(tallyOf(events))).to.equal(40); // 10 20 40 40 100
    expect(median(tallyOf(events.slice(0, 3)))).to.equal(20); // 10 20 40
    expect(median(tallyOf(events.slice(0, 2)))).to.equal(25); // 10 40
    expect(median(tallyOf([event("c", null)]))).to.equal(null);
  });
});

describe("OTT arrivals", () => {
  const at = (seconds: number, id = `e${seconds}`) => decoded({ ...base, event_id: id, timestamp: new Date(Date.UTC(2024, 5, 1) + seconds * 1000).toISOString() });
  const arrivalAt = (seconds: number) => ({ receivedAt: (Date.UTC(2024, 5, 1) + seconds * 1000) * 1000, seen: new Set<string>() });
  const params = { maxFutureMicros: 60e6 };

  it("admits any event time up to the allowed bound ahead of the arrival, however old; beyond it a future_timestamp dead letter", () => {
    const arrival = arrivalAt(1000);
    expect(admitEvent(at(-10 * 86400), params, arrival)).to.equal(null); // ten days old: not judged here
    expect(admitEvent(at(1060), params, arrival)).to.equal(null); // exactly the bound ahead
    expect(admitEvent(at(1061), params, arrival)).to.include({ code: "future_timestamp" });
  });

  it("skips an event_id already admitted in the bundle, and the ids the runner says earlier commits counted", () => {
    const arrival = arrivalAt(1000);
    expect(admitEvent(at(1, "first"), params, arrival)).to.equal(null);
    for (let i = 1; i <= 30_000; i++) expect(admitEvent(at(i / 100), params, arrival)).to.equal(null);
    expect(admitEvent(at(5, "first"), params, arrival)).to.equal(DUPLICATE);
    enterBundle({ watermarkMicros: Number.NEGATIVE_INFINITY, skipKeys: new Set(["counted"]) });
    try {
      expect(admitEvent(at(7, "counted"), params, arrivalAt(1000))).to.equal(DUPLICATE);
      expect(admitEvent(at(7, "new"), params, arrivalAt(1000))).to.equal(null);
    } finally {
      exitBundle();
    }
  });
});

describe("window expiry", () => {
  it("follows Beam's rule: a window takes events until the watermark passes its last instant plus the allowed lateness", () => {
    const end = 600e6; // a window [0 s, 600 s)
    const lateness = 300e6;
    expect(windowExpired(end, lateness, Number.NEGATIVE_INFINITY)).to.equal(false); // bounded input: never
    expect(windowExpired(end, lateness, end - 1000 + lateness)).to.equal(false);
    expect(windowExpired(end, lateness, end - 1000 + lateness + 1)).to.equal(true);
  });
});

describe("OTT view formulas", () => {
  it("scores engagement and segments it", () => {
    expect(engagementScore(600, 1, 0, 2)).to.equal(57);
    expect(engagementScore(100_000, 5, 5, 50)).to.equal(100); // every part at its cap
    expect(engagementScore(100, 0, 1, 3)).to.equal(19.7);
    expect([60, 59.9, 35, 15, 14.9, 0].map(engagementSegment)).to.deep.equal(["highly_engaged", "engaged", "engaged", "casual", "passive", "passive"]);
  });

  it("caps the completion rate at 1 and has none without plays", () => {
    expect(completionRate(4, 1)).to.equal(0.25);
    expect(completionRate(1, 3)).to.equal(1);
    expect(completionRate(0, 2)).to.equal(null);
  });
});
