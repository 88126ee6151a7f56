import { expect } from "chai";
import { PlaybackGenerator } from "../../samples/playback";
import { isRejection } from "../../transforms/core/validate";
import { decodePlaybackEvent } from "../../transforms/playback/alerts";

describe("playback generator", () => {
  const lines = [...new PlaybackGenerator({ seed: 3 }).lines(20_000)];
  const events = lines.map((l) => JSON.parse(l));

  it("is deterministic for a seed and differs between seeds", () => {
    expect([...new PlaybackGenerator({ seed: 3 }).lines(500)]).to.deep.equal(lines.slice(0, 500));
    expect([...new PlaybackGenerator({ seed: 4 }).lines(500)]).to.not.deep.equal(lines.slice(0, 500));
  });

  it("emits only events the pipeline accepts, in the playback event's shape", () => {
    for (const event of events) expect(isRejection(decodePlaybackEvent({ ...event })), JSON.stringify(event)).to.equal(false);
    expect(Object.keys(events[0])).to.deep.equal([
      "event_id", "session_id", "user_id", "movie_id", "event_type", "event_timestamp",
      "buffer_duration_ms", "bitrate_kbps", "city", "isp", "country",
    ]);
  });

  it("plays each session as a lifecycle: start first, nothing after stop", () => {
    const state = new Map<number, string>();
    for (const e of events) {
      const previous = state.get(e.session_id);
      if (previous === undefined) expect(e.event_type).to.equal("start");
      else expect(previous).to.not.equal("stop");
      state.set(e.session_id, e.event_type);
    }
    const open = [...state.values()].filter((t) => t !== "stop").length;
    expect(open).to.be.at.most(100); // the pool of concurrent sessions
    expect(state.size).to.be.greaterThan(1000); // stopped sessions are replaced by new ones
  });

  it("keeps ids unique, time ordered and buffering within 0-5000 ms, with some of every event type", () => {
    expect(new Set(events.map((e) => e.event_id)).size).to.equal(events.length);
    for (let i = 1; i < events.length; i++) expect(events[i].event_timestamp >= events[i - 1].event_timestamp).to.equal(true);
    for (const e of events) expect(e.buffer_duration_ms).to.be.within(0, 5000);
    const types = new Set(events.map((e) => e.event_type));
    expect([...types].sort()).to.deep.equal(["buffer", "error", "start", "stop"]);
    const alertShare = events.filter((e) => e.event_type === "error" || e.buffer_duration_ms > 4000).length / events.length;
    expect(alertShare).to.be.within(0.05, 0.3);
  });
});
