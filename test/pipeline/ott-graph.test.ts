import * as beam from "apache-beam";
import { assertDeepEqual } from "apache-beam/testing/assert";
import { ottPipeline } from "../../pipelines/ott/pipeline";
import { deadLetter } from "../../schemas/dead-letter";
import { OTT_VIEW_TABLES, userEvents } from "../../schemas/ott";
import { Row } from "../../schemas/table";
import { OTT_VIEWS } from "../../transforms/ott/views";
import { mergeSpecOf } from "../../transforms/ott/windowed-view";
import { at, HAND_STREAM } from "../fixtures-ott";
import { messageChunk, runGraph } from "../support/graph";

/** Epoch microseconds of the hand-computed stream's time 0. */
const ORIGIN = Date.parse(at(0)) * 1000;

const shapes = (rows: Row[]): unknown[] => rows.map((r) => `${r.event_id} ${r.event_type} ${r.source_shape}`);
const reasonCodes = (rows: Row[]): unknown[] => rows.map((r) => r.reason_code);

/** A view's panes as the rows the sink makes of them: "<seconds after time 0> <key> <measure>". */
function viewRows(panes: Row[], context: { table: string; key: string; measure: string; origin: number }): unknown[] {
  const spec = mergeSpecOf(OTT_VIEWS[context.table]);
  const out: unknown[] = [];
  for (const pane of panes) {
    const row = spec.output(pane);
    if (row !== null) out.push(`${((row.window_start as number) - context.origin) / 1e6} ${row[context.key]} ${row[context.measure]}`);
  }
  return out;
}

describe("ott graph on a direct-runner root", () => {
  it("reads both shapes into one model and windows them by event time (the hand-computed stream of docs/ott.md)", async () => {
    await runGraph(ottPipeline, { allowedLatenessSec: 300, maxFutureSec: 300, sampleMinutes: 1, sampleEps: 1 }, [messageChunk([...HAND_STREAM, "[]"])], (outputs) => {
      outputs[userEvents.name].flatMap(beam.withName("Shapes", shapes)).apply(
        assertDeepEqual([
          "e1 start seed001", "e2 start seed001", "e3 pause seed001", "e4 start seed001", "e5 complete seed001",
          "e6 buffer seed001", "e7 buffer seed001", "e8 buffer seed003", "e9 rate seed001", "e10 stop seed003",
        ]),
      );
      const viewers = { table: OTT_VIEW_TABLES.viewersPerTitle.name, key: "content_id", measure: "viewers", origin: ORIGIN };
      outputs[viewers.table].flatMap(beam.withName("ViewersPerTitle", viewRows), viewers).apply(assertDeepEqual(["0 c1 2", "10 c2 1", "30 c1 1", "30 c2 2", "40 c1 1", "70 c2 1"]));
      const hotspots = { table: OTT_VIEW_TABLES.bufferingHotspots.name, key: "city", measure: "buffer_events", origin: ORIGIN };
      outputs[hotspots.table].flatMap(beam.withName("BufferingHotspots", viewRows), hotspots).apply(assertDeepEqual(["0 London 3"]));
      outputs[deadLetter.name].flatMap(beam.withName("Reasons", reasonCodes)).apply(assertDeepEqual(["not_object"]));
    });
  });
});
