import { expect } from "chai";
import { join } from "path";
import { ottPipeline, OttOptions } from "../../pipelines/ott/pipeline";
import { OTT_START_MICROS, OttGenerator } from "../../samples/ott";
import { GeneratedSource } from "../../io/sources/generated-source";
import { Random } from "../../samples/random";
import { DuckDbSink } from "../../io/sinks/duckdb-sink";
import { drive } from "../../runners/direct/driver";
import { inlineExecutor } from "../../runners/direct/inline-executor";
import { OTT_VIEW_TABLES } from "../../schemas/ott";
import { at, HAND_STREAM } from "../fixtures-ott";
import { query, runCli, tempDir, writeLines } from "../helpers";

const ts = (seconds: number): string => at(seconds).replace("T", " ").replace(/(\.\d+)?Z$/, "");

describe("ott pipeline on the direct runner", () => {
  const dir = tempDir();

  describe("a hand-computed stream", () => {
    const warehouse = join(dir, "hand.duckdb");
    const rows = (sql: string) => query(warehouse, sql);

    before(() => {
      const result = runCli(["ott", "--input", writeLines(join(dir, "hand.jsonl"), HAND_STREAM), "--warehouse", warehouse]);
      expect(result.status, result.stderr).to.equal(0);
    });

    it("stores every event of both shapes in one model, records nested", async () => {
      expect(await rows("SELECT count(*) AS n, count(*) FILTER (source_shape = 'seed003') AS flat FROM user_events")).to.deep.equal([{ n: "10", flat: "2" }]);
      expect(await rows("SELECT event_type, watch_seconds, device.type AS device, location.city AS city, buffer_ms FROM user_events WHERE event_id IN ('e8', 'e10') ORDER BY event_id")).to.deep.equal([
        { event_type: "stop", watch_seconds: "50", device: "tablet", city: "London", buffer_ms: null },
        { event_type: "buffer", watch_seconds: null, device: "tablet", city: "London", buffer_ms: "3000" },
      ]);
    });

    it("viewers per title, 10 s tumbling, an event at a window's end in the next window", async () => {
      expect(await rows("SELECT window_start, window_end, content_id, title, viewers, sessions, events FROM ott_viewers_per_title ORDER BY window_start, content_id")).to.deep.equal([
        { window_start: ts(0), window_end: ts(10), content_id: "c1", title: "Alpha", viewers: "2", sessions: "2", events: "3" },
        { window_start: ts(10), window_end: ts(20), content_id: "c2", title: "Beta", viewers: "1", sessions: "1", events: "1" },
        { window_start: ts(30), window_end: ts(40), content_id: "c1", title: "Alpha", viewers: "1", sessions: "1", events: "1" },
        { window_start: ts(30), window_end: ts(40), content_id: "c2", title: "Beta", viewers: "2", sessions: "2", events: "3" },
        { window_start: ts(40), window_end: ts(50), content_id: "c1", title: "Alpha", viewers: "1", sessions: "1", events: "1" },
        { window_start: ts(70), window_end: ts(80), content_id: "c2", title: "Beta", viewers: "1", sessions: "1", events: "1" },
      ]);
    });

    it("watch time, 5 min sliding every 1 min: each stint in five windows", async () => {
      expect(await rows("SELECT content_id, count(*) AS windows, min(window_start) AS first FROM ott_watch_time GROUP BY ALL ORDER BY content_id")).to.deep.equal([
        { content_id: "c1", windows: "5", first: ts(-240) },
        { content_id: "c2", windows: "5", first: ts(-180) },
      ]);
      expect(await rows(`SELECT content_id, stints, avg_watch_seconds, min_watch_seconds, max_watch_seconds, median_watch_seconds FROM ott_watch_time WHERE window_start = '${ts(0)}' ORDER BY content_id`)).to.deep.equal([
        { content_id: "c1", stints: "2", avg_watch_seconds: 350, min_watch_seconds: 100, max_watch_seconds: 600, median_watch_seconds: 350 },
        { content_id: "c2", stints: "1", avg_watch_seconds: 50, min_watch_seconds: 50, max_watch_seconds: 50, median_watch_seconds: 50 },
      ]);
    });

    it("trending, weighted by completion rate", async () => {
      expect(await rows(`SELECT window_start, content_id, plays, completes, viewers, completion_rate, trending_score FROM ott_trending WHERE window_start >= '${ts(0)}' ORDER BY window_start, content_id`)).to.deep.equal([
        { window_start: ts(0), content_id: "c1", plays: "2", completes: "1", viewers: "2", completion_rate: 0.5, trending_score: 3 },
        { window_start: ts(0), content_id: "c2", plays: "1", completes: "0", viewers: "2", completion_rate: 0, trending_score: 2 },
        { window_start: ts(60), content_id: "c2", plays: "0", completes: "0", viewers: "1", completion_rate: null, trending_score: 1 },
      ]);
    });

    it("geography, 30 s tumbling", async () => {
      expect(await rows("SELECT window_start, country, city, viewers, events FROM ott_geo_distribution ORDER BY window_start, country")).to.deep.equal([
        { window_start: ts(0), country: "GB", city: "London", viewers: "1", events: "1" },
        { window_start: ts(0), country: "US", city: "New York", viewers: "2", events: "3" },
        { window_start: ts(30), country: "GB", city: "London", viewers: "2", events: "3" },
        { window_start: ts(30), country: "US", city: "New York", viewers: "2", events: "2" },
        { window_start: ts(60), country: "GB", city: "London", viewers: "1", events: "1" },
      ]);
    });

    it("devices with quality, 1 min tumbling", async () => {
      expect(await rows(`SELECT device_type, resolution, viewers, events, avg_bitrate, min_bitrate, max_bitrate FROM ott_device_distribution WHERE window_start = '${ts(0)}' ORDER BY device_type`)).to.deep.equal([
        { device_type: "mobile", resolution: "HD", viewers: "1", events: "3", avg_bitrate: 3000, min_bitrate: 3000, max_bitrate: 3000 },
        { device_type: "tablet", resolution: "HD", viewers: "1", events: "1", avg_bitrate: 2000, min_bitrate: 2000, max_bitrate: 2000 },
        { device_type: "tv", resolution: "4K", viewers: "1", events: "2", avg_bitrate: 8000, min_bitrate: 8000, max_bitrate: 8000 },
        { device_type: "web", resolution: "SD", viewers: "1", events: "3", avg_bitrate: 1000, min_bitrate: 1000, max_bitrate: 1000 },
      ]);
    });

    it("buffering hotspots: three buffer events of two users and both shapes make one", async () => {
      expect(await rows("SELECT window_start, content_id, city, title, buffer_events, viewers_affected, avg_buffer_ms FROM ott_buffering_hotspots")).to.deep.equal([
        { window_start: ts(0), content_id: "c2", city: "London", title: "Beta", buffer_events: "3", viewers_affected: "2", avg_buffer_ms: 2000 },
      ]);
    });

    it("engagement per user, 10 min sliding every 5 min", async () => {
      expect(await rows(`SELECT user_id, events, sessions, titles, watch_seconds, completes, ratings, avg_rating, engagement_score, segment FROM ott_engagement WHERE window_start = '${ts(0)}' ORDER BY user_id`)).to.deep.equal([
        { user_id: "u1", events: "3", sessions: "1", titles: "1", watch_seconds: "100", completes: "0", ratings: "1", avg_rating: 4, engagement_score: 19.7, segment: "casual" },
        { user_id: "u2", events: "2", sessions: "1", titles: "1", watch_seconds: "600", completes: "1", ratings: "0", avg_rating: null, engagement_score: 57, segment: "engaged" },
        { user_id: "u3", events: "3", sessions: "1", titles: "1", watch_seconds: "0", completes: "0", ratings: "0", avg_rating: null, engagement_score: 3, segment: "passive" },
        { user_id: "u4", events: "2", sessions: "1", titles: "1", watch_seconds: "50", completes: "0", ratings: "0", avg_rating: null, engagement_score: 5.3, segment: "passive" },
      ]);
      expect(await rows(`SELECT count(DISTINCT window_start) AS n FROM ott_engagement`)).to.deep.equal([{ n: "2" }]);
    });

    it("counts a repeated event once: shuffled and doubled input gives the same tables, the copies skipped and counted, not dead letters", async () => {
      const doubledWarehouse = join(dir, "doubled.duckdb");
      const doubled = new Random(3).shuffled([...HAND_STREAM, ...HAND_STREAM]);
      const result = runCli(["ott", "--input", writeLines(join(dir, "doubled.jsonl"), doubled), "--warehouse", doubledWarehouse]);
      expect(result.status, result.stderr).to.equal(0);
      for (const table of [...Object.values(OTT_VIEW_TABLES).map((t) => t.name), "user_events"]) {
        const sql = `SELECT * FROM ${table} ORDER BY ALL`;
        expect(await query(doubledWarehouse, sql), table).to.deep.equal(await rows(sql));
      }
      expect(await query(doubledWarehouse, "SELECT count(*) AS n FROM dead_letter")).to.deep.equal([{ n: "0" }]);
      expect(result.stdout).to.include(`${HAND_STREAM.length} duplicates (counted once)`);
    });

    it("the 5-minute demographic trends", async () => {
      expect(await rows("SELECT age_group, gender, plays, viewers, events FROM ott_trend_age_gender ORDER BY age_group, gender")).to.deep.equal([
        { age_group: "18-24", gender: "other", plays: "0", viewers: "1", events: "2" },
        { age_group: "25-34", gender: "female", plays: "1", viewers: "1", events: "3" },
        { age_group: "35-44", gender: "male", plays: "1", viewers: "1", events: "2" },
        { age_group: "unknown", gender: "unknown", plays: "1", viewers: "1", events: "3" },
      ]);
      expect(await rows("SELECT country, maturity_rating, plays, viewers FROM ott_trend_maturity_location ORDER BY country")).to.deep.equal([
        { country: "GB", maturity_rating: "PG", plays: "1", viewers: "2" },
        { country: "US", maturity_rating: "TV-MA", plays: "2", viewers: "2" },
      ]);
      expect(await rows("SELECT device_type, genre, events FROM ott_trend_device_genre ORDER BY device_type")).to.deep.equal([
        { device_type: "mobile", genre: "Drama", events: "3" },
        { device_type: "tablet", genre: "Comedy", events: "2" },
        { device_type: "tv", genre: "Drama", events: "2" },
        { device_type: "web", genre: "Comedy", events: "3" },
      ]);
    });
  });

  it("stores every event of a bounded file in every view, however far behind the newest one; an event far in the future is a dead letter and changes nothing else", async () => {
    const warehouse = join(dir, "bounded.duckdb");
    const event = (id: string, seconds: number) => JSON.stringify({ event_id: id, user_id: id, content_id: "c", event_type: "start", timestamp: at(seconds), session_id: "s" });
    const future = JSON.stringify({ event_id: "2035", user_id: "u", content_id: "c", event_type: "start", timestamp: "2035-01-01T00:00:00Z", session_id: "s" });
    const lines = [event("new", 6000), future, event("old", 0), event("older", -86400), event("after", 6001)];
    const result = runCli(["ott", "--input", writeLines(join(dir, "bounded.jsonl"), lines), "--warehouse", warehouse, "--allowedLatenessSec", "0"]);
    expect(result.status, result.stderr).to.equal(0);
    expect(await query(warehouse, "SELECT event_id FROM user_events ORDER BY event_id")).to.deep.equal([{ event_id: "after" }, { event_id: "new" }, { event_id: "old" }, { event_id: "older" }]);
    expect(await query(warehouse, "SELECT sum(events) AS n FROM ott_viewers_per_title")).to.deep.equal([{ n: "4" }]);
    const dead = await query(warehouse, "SELECT reason_code, payload FROM dead_letter");
    expect(dead.map((d) => [d.reason_code, JSON.parse(String(d.payload)).event_id])).to.deep.equal([["future_timestamp", "2035"]]);
  });

  describe("batch versus micro-batches", () => {
    const lines = [...new OttGenerator({ seed: 9, startMicros: OTT_START_MICROS, meanGapMicros: 50_000, veryLateShare: 0.005 }).lines(2500)];
    const options: () => OttOptions = () => ({ allowedLatenessSec: 300, maxFutureSec: 300, sampleMinutes: 1, sampleEps: 1 });

    /** One run of the pipeline over `lines` in chunks of `chunkBytes`, each its own bundle and commit. */
    async function runOver(warehouse: string, chunkBytes: number): Promise<void> {
      const sink = new DuckDbSink(warehouse);
      await sink.open(ottPipeline.tables, ottPipeline.merges);
      const source = new GeneratedSource("test", () => lines, chunkBytes);
      await drive(source, sink, inlineExecutor(ottPipeline, options()), () => undefined, { definition: ottPipeline, bundleBytes: chunkBytes, maxInFlight: 2, commit: { maxRows: 1, maxDelayMs: 0, checkpointCommits: 3, checkpointMs: 60_000 } });
      await sink.close();
    }

    it("give equal tables, every view and the dead letters", async () => {
      const batch = join(dir, "batch.duckdb"), micro = join(dir, "micro.duckdb");
      await runOver(batch, 64 << 20);
      await runOver(micro, 32 << 10); // about 80 events per micro-batch
      for (const table of [...Object.values(OTT_VIEW_TABLES).map((t) => t.name), "user_events"]) {
        const sql = `SELECT * FROM ${table} ORDER BY ALL`;
        const expected = await query(batch, sql);
        expect(expected.length, table).to.be.greaterThan(0);
        expect(await query(micro, sql), table).to.deep.equal(expected);
      }
      const dead = "SELECT payload FROM dead_letter ORDER BY ALL";
      expect(await query(micro, dead)).to.deep.equal(await query(batch, dead));
    });
  });

  it("runs with no flags on a generated sample and prints every view", () => {
    const result = runCli(["ott", "--warehouse", join(dir, "sample.duckdb"), "--sampleMinutes", "2"]);
    expect(result.status, result.stderr).to.equal(0);
    for (const label of ["viewers per title", "watch time", "trending", "geography", "devices", "buffering hotspots", "engagement", "maturity x location", "age x gender", "device x genre"]) {
      expect(result.stdout).to.match(new RegExp(`\\n  ${label} [^\\n]*\\d`), label);
    }
  });
});
