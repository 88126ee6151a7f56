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
import { catalogSnapshot } from "../../transforms/catalog/titles";

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

  for (const given of ["side input", "snapshot fixed at submission"]) it(`takes titles and genres from the catalog (${given}) where events lack them; an event's own values win; user_events keeps events as sent`, async () => {
    const event = (id: number, content: string, seconds: number, extra: object = {}) =>
      JSON.stringify({ event_id: `k${id}`, user_id: `u${id}`, content_id: content, event_type: "start", timestamp: at(seconds), session_id: `s${id}`, position: 0, ...extra });
    const stream = [
      event(1, "tt01", 1), // nothing of its own: title and genre from the catalog
      event(2, "tt02", 2, { content: { title: "Own Title", maturity_rating: "PG" } }), // its title wins, its genre comes from the catalog
      event(3, "tt03", 3, { content: { title: "Not Listed", genre: "Horror" } }), // not in the catalog
      event(4, "tt04", 4), // in the catalog without a genre
    ];
    const catalog = catalogSnapshot([
      { tconst: "tt01", title: "Catalog One", genre: "Drama" },
      { tconst: "tt02", title: "Catalog Two", genre: "Comedy" },
      { tconst: "tt04", title: "Catalog Four", genre: null },
    ]);
    const options = { allowedLatenessSec: 300, maxFutureSec: 300, sampleMinutes: 1, sampleEps: 1 };
    await runGraph(
      ottPipeline,
      options,
      [messageChunk(stream)],
      (outputs) => {
        const titles = { table: OTT_VIEW_TABLES.viewersPerTitle.name, key: "content_id", measure: "title", origin: ORIGIN };
        outputs[titles.table].flatMap(beam.withName("Titles", viewRows), titles).apply(assertDeepEqual(["0 tt01 Catalog One", "0 tt02 Own Title", "0 tt03 Not Listed", "0 tt04 Catalog Four"]));
        const genres = { table: OTT_VIEW_TABLES.deviceGenre.name, key: "genre", measure: "plays", origin: ORIGIN };
        outputs[genres.table].flatMap(beam.withName("Genres", viewRows), genres).apply(assertDeepEqual(["0 Comedy 1", "0 Drama 1", "0 Horror 1", "0 unknown 1"]));
        const maturity = { table: OTT_VIEW_TABLES.maturityByLocation.name, key: "maturity_rating", measure: "plays", origin: ORIGIN };
        outputs[maturity.table].flatMap(beam.withName("Maturity", viewRows), maturity).apply(assertDeepEqual(["0 PG 1", "0 unknown 3"]));
        const stored = (rows: Row[]): unknown[] => rows.map((r) => `${r.event_id} ${(r.content as Row | null)?.title ?? null} ${(r.content as Row | null)?.genre ?? null}`);
        outputs[userEvents.name].flatMap(beam.withName("Stored", stored)).apply(assertDeepEqual(["k1 null null", "k2 Own Title null", "k3 Not Listed Horror", "k4 null null"]));
      },
      (root) => ({ catalog: given === "side input" ? root.apply(beam.withName("Catalog", beam.create([catalog]))) : catalog }),
    );
  });

  it("shows the views as before when the runner hands no catalog", async () => {
    const stream = [JSON.stringify({ event_id: "k1", user_id: "u1", content_id: "tt01", event_type: "start", timestamp: at(1), session_id: "s1", position: 0 })];
    await runGraph(ottPipeline, { allowedLatenessSec: 300, maxFutureSec: 300, sampleMinutes: 1, sampleEps: 1 }, [messageChunk(stream)], (outputs) => {
      const titles = { table: OTT_VIEW_TABLES.viewersPerTitle.name, key: "content_id", measure: "title", origin: ORIGIN };
      outputs[titles.table].flatMap(beam.withName("Titles", viewRows), titles).apply(assertDeepEqual(["0 tt01 null"]));
    });
  });
});
