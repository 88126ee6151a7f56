import * as beam from "apache-beam";
import { assertDeepEqual } from "apache-beam/testing/assert";
import { expect } from "chai";
import { alertsPipeline } from "../../pipelines/alerts/pipeline";
import { deadLetter } from "../../schemas/dead-letter";
import { videoPlaybackAlerts } from "../../schemas/playback";
import { Row } from "../../schemas/table";
import { messageChunk, runGraph } from "../support/graph";

const event = (id: number, type: string, bufferMs: number | null): string =>
  JSON.stringify({
    event_id: id, session_id: 7, user_id: 32, movie_id: 15, event_type: type, event_timestamp: "2025-10-27 21:10:55",
    buffer_duration_ms: bufferMs, bitrate_kbps: 2400, city: "Bandung", isp: "Indihome", country: "Indonesia",
  });

const eventIds = (rows: Row[]): unknown[] => rows.map((r) => r.event_id);
const reasons = (rows: Row[]): unknown[] => rows.map((r) => `${r.reason_code} ${r.source}`);

describe("alerts graph on a direct-runner root", () => {
  const records = [event(1, "start", null), event(2, "error", null), event(3, "buffer", 4001), event(4, "buffer", 4000), "{not json", event(5, "pause", null)];

  it("alerts on errors and on buffering over the threshold, and dead-letters what it cannot read", async () => {
    await runGraph(alertsPipeline, { bufferThresholdMs: 4000, sampleEvents: 1 }, [messageChunk(records)], (outputs) => {
      outputs[videoPlaybackAlerts.name].flatMap(beam.withName("AlertIds", eventIds)).apply(assertDeepEqual([2, 3]));
      outputs[deadLetter.name].flatMap(beam.withName("Reasons", reasons)).apply(assertDeepEqual(["invalid_json graph-test#m5", "not_allowed graph-test#m6"]));
    });
  });

  it("takes its threshold from the options", async () => {
    await runGraph(alertsPipeline, { bufferThresholdMs: 3999, sampleEvents: 1 }, [messageChunk(records)], (outputs) => {
      outputs[videoPlaybackAlerts.name].flatMap(beam.withName("AlertIds", eventIds)).apply(assertDeepEqual([2, 3, 4]));
    });
  });

  it("fails the run when an output differs from the expectation", async () => {
    const run = runGraph(alertsPipeline, { bufferThresholdMs: 4000, sampleEvents: 1 }, [messageChunk(records)], (outputs) => {
      outputs[videoPlaybackAlerts.name].flatMap(beam.withName("AlertIds", eventIds)).apply(assertDeepEqual([2]));
    });
    const failure = await run.then(() => undefined, (error: Error) => error);
    expect(failure, "the run passed an assertion that does not hold").to.be.instanceOf(Error);
  });
});
