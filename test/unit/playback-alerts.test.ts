import { expect } from "chai";
import { PlaybackEvent } from "../../schemas/playback";
import { isRejection, Rejection } from "../../transforms/core/validate";
import { decodePlaybackEvent, detectAlerts, isPlaybackAlert } from "../../transforms/playback/alerts";
import { parseTimestamp } from "../../schemas/timestamp";

const good = {
  event_id: 123456, session_id: 7, user_id: 32, movie_id: 15, event_type: "buffer",
  event_timestamp: "2025-10-27 21:10:55", buffer_duration_ms: 4387, bitrate_kbps: 2400,
  city: "Bandung", isp: "Indihome", country: "Indonesia",
};

function decoded(overrides: Record<string, unknown>): PlaybackEvent {
  const result = decodePlaybackEvent({ ...good, ...overrides });
  if (isRejection(result)) throw new Error(result.reason);
  return result;
}

function rejection(value: unknown): Rejection {
  const result = decodePlaybackEvent(value);
  if (!isRejection(result)) throw new Error(`accepted ${JSON.stringify(value)}`);
  return result;
}

describe("playback events", () => {
  it("decodes the example playback event", () => {
    const event = decoded({});
    expect(event.event_timestamp).to.equal(parseTimestamp("2025-10-27 21:10:55"));
    expect(event.event_type).to.equal("buffer");
    expect(event.city).to.equal("Bandung");
  });

  it("accepts missing nullable fields as null and ignores unknown fields", () => {
    const event = decoded({ buffer_duration_ms: undefined, city: null, extra: "x" });
    expect(event.buffer_duration_ms).to.equal(null);
    expect(event.city).to.equal(null);
  });

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["a missing required field", { event_id: undefined }, "missing_field", /event_id is required/],
    ["a null required field", { event_timestamp: null }, "missing_field", /event_timestamp/],
    ["an integer given as a string", { user_id: "32" }, "wrong_type", /user_id must be an integer, got "32"/],
    ["a fractional integer", { buffer_duration_ms: 12.5 }, "wrong_type", /buffer_duration_ms must be an integer/],
    ["an integer beyond 2^53", { event_id: 2 ** 60 }, "wrong_type", /event_id must be an integer within ±9007199254740991/],
    ["a negative duration", { buffer_duration_ms: -1 }, "out_of_range", /buffer_duration_ms must be >= 0, got -1/],
    ["an unknown event type", { event_type: "pause" }, "not_allowed", /event_type must be one of start\|buffer\|error\|stop, got "pause"/],
    ["a non-string city", { city: 5 }, "wrong_type", /city must be a string/],
    ["a bad timestamp", { event_timestamp: "2025-02-30 10:00:00" }, "bad_timestamp", /event_timestamp must be/],
    ["a numeric timestamp", { event_timestamp: 1761599455 }, "bad_timestamp", /got 1761599455/],
  ];
  for (const [what, overrides, code, reason] of cases) {
    it(`rejects ${what} as ${code}`, () => {
      const r = rejection({ ...good, ...overrides });
      expect(r.code).to.equal(code);
      expect(r.reason).to.match(reason);
    });
  }

  it("rejects values that are not objects", () => {
    expect(rejection([1, 2]).code).to.equal("not_object");
    expect(rejection("text").code).to.equal("not_object");
    expect(rejection(null).code).to.equal("not_object");
  });
});

describe("alert rule", () => {
  it("alerts on buffering strictly over the threshold: 4000 is not an alert, 4001 is", () => {
    expect(isPlaybackAlert(decoded({ buffer_duration_ms: 4000 }), 4000)).to.equal(false);
    expect(isPlaybackAlert(decoded({ buffer_duration_ms: 4001 }), 4000)).to.equal(true);
    expect(isPlaybackAlert(decoded({ buffer_duration_ms: 2500 }), 2000)).to.equal(true);
  });

  it("alerts on every error, whatever the buffering", () => {
    expect(isPlaybackAlert(decoded({ event_type: "error", buffer_duration_ms: 0 }), 4000)).to.equal(true);
    expect(isPlaybackAlert(decoded({ event_type: "error", buffer_duration_ms: null }), 4000)).to.equal(true);
  });

  it("does not alert on unknown buffering", () => {
    expect(isPlaybackAlert(decoded({ buffer_duration_ms: null }), 4000)).to.equal(false);
  });

  it("emits alert rows with exactly the table's columns and the UTC run_date", () => {
    const alerts = detectAlerts([decoded({ extra: 1, event_timestamp: "2025-10-27T23:30:00-02:00" }), decoded({ buffer_duration_ms: 10 })], 4000);
    expect(alerts).to.have.length(1);
    expect(Object.keys(alerts[0])).to.deep.equal([
      "event_id", "session_id", "user_id", "movie_id", "event_type", "event_timestamp",
      "buffer_duration_ms", "bitrate_kbps", "city", "isp", "country", "run_date",
    ]);
    expect(new Date(alerts[0].run_date * 86_400_000).toISOString().slice(0, 10)).to.equal("2025-10-28");
  });
});
