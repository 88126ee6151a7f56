import { expect } from "chai";
import { decodeOttEvent } from "../../transforms/ott/events";
import { readFileSync } from "fs";
import { join } from "path";
import { isRejection } from "../../transforms/core/validate";
import { decodePlaybackEvent } from "../../transforms/playback/alerts";
import { ConversationRecord, decodeConversationRecord, isMessage } from "../../transforms/conversations/records";
import { runScript, tempDir, writeLines } from "../helpers";

const publish = (args: string[]) => runScript("publisher/cli.js", ["playback", ...args]);

describe("publish CLI", () => {
  const dir = tempDir();

  describe("stops on a bad command line with one line and exit code 2", () => {
    const cases: [string[], RegExp][] = [
      [["--output", "file"], /--output file needs --out PATH/],
      [["--out", "x.jsonl"], /--out is for --output file/],
      [["--eps", "0"], /--eps must be at least 0.001/],
      [["--seed", "9000001"], /--seed must be at most 9000000/],
      [["--startTime", "noon"], /--startTime must be an ISO-8601 time/],
      [["--output", "kafka"], /--output must be one of pubsub, file, stdout/],
      [["--file", "/no/such.jsonl"], /--file: cannot read \/no\/such.jsonl \(ENOENT\)/],
      [["--dry-run=maybe"], /--dry-run is a switch: give it alone, or =true \/ =false, got "maybe"/],
    ];
    for (const [args, message] of cases) {
      it(args.join(" "), () => {
        const run = publish(args);
        expect(run.status).to.equal(2);
        expect(run.stderr.trim().split("\n")).to.have.length(1);
        expect(run.stderr).to.match(message);
      });
    }
    it("an unknown kind", () => {
      const run = runScript("publisher/cli.js", ["tweets"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.match(/unknown kind: tweets \(kinds: playback, ott, conversations\)/);
    });
    it("--speedup without --file", () => {
      const run = publish(["--speedup", "2"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.match(/--speedup is for --file replays/);
    });
  });

  it("--dry-run prints valid events; the same seed and start time give the same bytes", () => {
    const args = ["--dry-run", "--count", "500", "--eps", "100000", "--seed", "12", "--startTime", "2025-10-27T08:00:00Z"];
    const a = publish(args), b = publish(args);
    expect(a.status, a.stderr).to.equal(0);
    expect(a.stdout).to.equal(b.stdout);
    const events = a.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events).to.have.length(500);
    expect(events[0].event_id).to.equal(12_000_000_001);
    expect(events[0].event_timestamp).to.equal("2025-10-27 08:00:00");
    for (const e of events) expect(isRejection(decodePlaybackEvent(e))).to.equal(false);
    expect(a.stderr).to.include("sent 500 events");
    expect(publish(["--dry-run", "--count", "500", "--eps", "100000", "--seed", "13", "--startTime", "2025-10-27T08:00:00Z"]).stdout).to.not.equal(a.stdout);
  });

  it("generates conversations the conversations pipeline accepts, each order's messages in time order", () => {
    const run = runScript("publisher/cli.js", ["conversations", "--dry-run", "--count", "3000", "--eps", "100000", "--seed", "4", "--startTime", "2024-02-01T10:00:00Z"]);
    expect(run.status, run.stderr).to.equal(0);
    const records = run.stdout.trim().split("\n").map((l) => decodeConversationRecord(JSON.parse(l), 0));
    for (const r of records) expect(isRejection(r), JSON.stringify(r)).to.equal(false);
    const lastTime = new Map<number, number>();
    const cities = new Map<number, number>();
    for (const r of records as ConversationRecord[]) {
      if (isMessage(r)) {
        expect(r.message_sent_time).to.be.at.least(lastTime.get(r.order_id) ?? 0);
        lastTime.set(r.order_id, r.message_sent_time);
      } else {
        cities.set(r.order_id, (cities.get(r.order_id) ?? 0) + 1);
        expect(lastTime.has(r.order_id), "order event after the opening message").to.equal(true);
      }
    }
    expect([...cities.values()].every((n) => n === 1)).to.equal(true);
  });

  it("generates OTT events in the nested and the flat shape from the catalog, all valid", () => {
    const run = runScript("publisher/cli.js", ["ott", "--dry-run", "--count", "5000", "--eps", "100000", "--seed", "2"]);
    expect(run.status, run.stderr).to.equal(0);
    const events = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const nested = events.filter((e) => "timestamp" in e), flat = events.filter((e) => "event_timestamp" in e);
    expect(nested.length + flat.length).to.equal(events.length);
    expect(flat.length / events.length).to.be.within(0.1, 0.4);
    for (const e of nested) {
      for (const field of ["event_id", "user_id", "content_id", "event_type", "timestamp", "session_id", "position"]) expect(e, field).to.have.property(field);
      expect(Object.keys(e.device)).to.deep.equal(["type", "os", "browser", "model"]);
      expect(e.location).to.include.keys("country", "region", "city", "latitude", "longitude");
      expect(Object.keys(e.quality)).to.deep.equal(["resolution", "bitrate"]);
      if (e.event_type === "rate") expect(e.rating).to.be.within(1, 5);
      else expect(e).to.not.have.property("rating");
    }
    for (const e of events) expect(decodeOttEvent(e), JSON.stringify(e)).to.not.have.property("rejected");
    expect(new Set(nested.map((e) => e.event_type))).to.deep.equal(new Set(["start", "pause", "resume", "complete", "seek", "rate", "stop", "buffer"]));
    expect(new Set(flat.map((e) => e.event_type))).to.deep.equal(new Set(["video_start", "video_pause", "video_stop", "video_complete", "buffer_event"]));
    expect(new Set(events.map((e) => e.content_id)).size).to.be.at.most(20);
    expect(new Set(nested.map((e) => e.location.city)).size).to.be.at.most(15);
    expect(new Set(events.map((e) => e.subscription_tier))).to.deep.equal(new Set(["basic", "standard", "premium"]));
  });

  it("replays a recorded file in event-time order; lines without a time follow the line before them", () => {
    const recorded = [
      JSON.stringify({ event_id: 2, event_timestamp: "2025-10-27 08:00:02" }),
      "not json",
      JSON.stringify({ event_id: 1, event_timestamp: "2025-10-27 08:00:01" }),
      JSON.stringify({ event_id: 3, event_timestamp: "2025-10-27 08:00:03" }),
    ];
    const file = writeLines(join(dir, "recorded.jsonl"), recorded);
    const run = publish(["--file", file, "--speedup", "100", "--dry-run"]);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.trim().split("\n")).to.deep.equal([recorded[2], recorded[0], recorded[1], recorded[3]]);
  });

  it("replays a file whose first lines have no event time at once, those lines first (no wait since 1970)", () => {
    const recorded = [
      "not json",
      JSON.stringify({ event_id: 9 }),
      JSON.stringify({ event_id: 1, event_timestamp: "2025-10-27 08:00:01" }),
      JSON.stringify({ event_id: 2, event_timestamp: "2025-10-27 08:00:02" }),
    ];
    const file = writeLines(join(dir, "untimed-first.jsonl"), recorded);
    const started = Date.now();
    const run = runScript("publisher/cli.js", ["playback", "--file", file, "--speedup", "10", "--output", "stdout"], { timeoutMs: 20_000 });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.trim().split("\n")).to.deep.equal(recorded);
    expect(Date.now() - started).to.be.below(15_000);
  });

  it("appends to a file with --output file, and --duration bounds the run", () => {
    const out = join(dir, "events.jsonl");
    expect(publish(["--output", "file", "--out", out, "--count", "100", "--eps", "100000", "--seed", "1"]).status).to.equal(0);
    const run = publish(["--output", "file", "--out", out, "--duration", "0.3", "--eps", "1000", "--seed", "2"]);
    expect(run.status).to.equal(0);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines.length).to.be.within(101, 100 + 300);
    expect(JSON.parse(lines[100]).event_id).to.equal(2_000_000_001);
  });
});
