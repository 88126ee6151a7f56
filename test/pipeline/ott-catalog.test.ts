import { expect } from "chai";
import { join } from "path";
import { DuckDbSink } from "../../io/sinks/duckdb-sink";
import { Source } from "../../io/sources/source";
import { ottPipeline } from "../../pipelines/ott/pipeline";
import { readCatalog } from "../../runners/catalog";
import { CatalogFeed } from "../../runners/direct/catalog-feed";
import { drive } from "../../runners/direct/driver";
import { inlineExecutor } from "../../runners/direct/inline-executor";
import { titleBasics } from "../../schemas/catalog";
import { createTableSql } from "../../schemas/duckdb";
import { MessageChunk } from "../../transforms/core/chunk";
import { at } from "../fixtures-ott";
import { query, runCli, tempDir, writeLines } from "../helpers";

/** A seed 001 (nested) event of `content` at `seconds` after the fixtures' time 0; `content` records what the event itself carries. */
const nested = (id: string, content: string, seconds: number, extra: object = {}): string =>
  JSON.stringify({ event_id: id, user_id: `u-${id}`, content_id: content, event_type: "start", timestamp: at(seconds), session_id: `s-${id}`, position: 0, ...extra });

/** A seed 003 (flat) event, without a title or genre of its own. */
const flat = (id: string, content: string, seconds: number): string =>
  JSON.stringify({ event_id: id, user_id: `u-${id}`, session_id: `s-${id}`, content_id: content, event_type: "video_start", event_timestamp: at(seconds), content_title: null, genre: null, maturity_rating: "TV-14", country: "GB", city: "Leeds" });

const IMDB_HEADER = "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres";

const EVENTS = [
  nested("k1", "tt01", 1), // nothing of its own: title and first genre from the catalog
  flat("k2", "tt01", 2), // the flat shape, the same
  nested("k3", "tt02", 3, { content: { title: "Own Title", maturity_rating: "PG" } }), // its own title wins; its genre from the catalog
  nested("k4", "tt03", 4, { content: { title: "Not Listed", genre: "Horror" } }), // not in the catalog
  nested("k5", "tt04", 5), // in the catalog, without genres
];

describe("the OTT views' titles and genres from the catalog (DuckDB warehouse)", function () {
  this.timeout(120_000);
  const dir = tempDir();
  const events = writeLines(join(dir, "events.jsonl"), EVENTS);

  const titles = async (warehouse: string): Promise<string[]> =>
    (await query(warehouse, "SELECT content_id, title FROM ott_viewers_per_title ORDER BY content_id")).map((r) => `${r.content_id} ${r.title}`);
  const genres = async (warehouse: string): Promise<string[]> =>
    (await query(warehouse, "SELECT genre, plays FROM ott_trend_device_genre ORDER BY genre")).map((r) => `${r.genre} ${r.plays}`);
  const maturity = async (warehouse: string): Promise<string[]> =>
    (await query(warehouse, "SELECT maturity_rating, plays FROM ott_trend_maturity_location ORDER BY maturity_rating")).map((r) => `${r.maturity_rating} ${r.plays}`);

  it("fills them from title_basics where events have none, an event's own values win, maturity ratings stay the events', user_events keeps events as sent", async () => {
    const warehouse = join(dir, "with-catalog.duckdb");
    const basics = writeLines(join(dir, "title.basics.tsv"), [
      IMDB_HEADER,
      "tt01\tmovie\tCatalog One\tCatalog One\t0\t2001\t\\N\t100\tDrama,Thriller",
      "tt02\tmovie\tCatalog Two\tCatalog Two\t0\t2002\t\\N\t90\tComedy",
      "tt04\ttvSpecial\tCatalog Four\tCatalog Four\t0\t2004\t\\N\t\\N\t\\N",
    ]);
    const catalog = runCli(["catalog", "--input", basics, "--warehouse", warehouse]);
    expect(catalog.status, catalog.stderr).to.equal(0);
    const run = runCli(["ott", "--input", events, "--warehouse", warehouse]);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/catalog: 3 titles from title_basics, for the views' titles and genres where events have none\n/);
    expect(await titles(warehouse)).to.deep.equal(["tt01 Catalog One", "tt02 Own Title", "tt03 Not Listed", "tt04 Catalog Four"]);
    expect(await genres(warehouse)).to.deep.equal(["Comedy 1", "Drama 2", "Horror 1", "unknown 1"]);
    expect(await maturity(warehouse)).to.deep.equal(["PG 1", "TV-14 1", "unknown 3"]);
    const stored = await query(warehouse, "SELECT event_id, content.title AS title, content.genre AS genre FROM user_events ORDER BY event_id");
    expect(stored.map((r) => `${r.event_id} ${r.title} ${r.genre}`)).to.deep.equal(["k1 null null", "k2 null null", "k3 Own Title null", "k4 Not Listed Horror", "k5 null null"]);
  });

  it("without title_basics in the warehouse, the views are as before: the events' own titles and genres", async () => {
    const warehouse = join(dir, "without-catalog.duckdb");
    const run = runCli(["ott", "--input", events, "--warehouse", warehouse]);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/catalog: no title_basics in the warehouse: the views show the events' own titles and genres\n/);
    expect(await titles(warehouse)).to.deep.equal(["tt01 null", "tt02 Own Title", "tt03 Not Listed", "tt04 null"]);
    expect(await genres(warehouse)).to.deep.equal(["Horror 1", "unknown 4"]);
  });
});

/**
 * Two micro-batches of a stream, as the Pub/Sub source hands them over, and
 * between them `between` (the catalog changing while the stream runs).
 */
class TwoBatches implements Source {
  readonly description = "projects/test/subscriptions/catalog-refresh";
  readonly bounded = false;

  constructor(private readonly batches: readonly (readonly string[])[], private readonly between: () => Promise<void>) {}

  async *chunks(): AsyncGenerator<MessageChunk> {
    for (const [i, batch] of this.batches.entries()) {
      if (i > 0) await this.between();
      yield { kind: "messages", source: this.description, ids: batch.map((l) => JSON.parse(l).event_id), ackIds: [], payloads: [...batch], receivedAt: Date.now() * 1000 };
    }
  }

  async acknowledge(): Promise<void> {}
}

describe("a catalog that changes mid-stream (the direct runner's driver, DuckDB)", function () {
  this.timeout(120_000);

  it("is read again at the refresh: bundles cut after it see the new titles; rows already written keep theirs; a window with both shows the greater name", async () => {
    const warehouse = join(tempDir(), "refresh.duckdb");
    const sink = new DuckDbSink(warehouse);
    await sink.open(ottPipeline.tables, ottPipeline.merges);
    // DuckDB has one writer process: the catalog is changed through the run's own instance, as another writer would change it.
    const sql = async (text: string): Promise<void> => {
      const connection = await sink.readerConnection();
      await connection.run(text);
      connection.closeSync();
    };
    await sql(createTableSql(titleBasics));
    await sql("INSERT INTO title_basics (tconst, primaryTitle, genres, run_date) VALUES ('tt01', 'Night Train', ['Drama'], DATE '2024-06-01')");
    const source = new TwoBatches(
      [
        [nested("r1", "tt01", 1), nested("r2", "tt01", 11)], // windows [0 s, 10 s) and [10 s, 20 s), under the first catalog
        [nested("r3", "tt01", 12), nested("r4", "tt01", 21)], // [10 s, 20 s) again, and [20 s, 30 s), under the second
      ],
      () => sql("UPDATE title_basics SET primaryTitle = 'Night Train Returns', genres = ['Thriller']"),
    );
    const options = { allowedLatenessSec: 3600, maxFutureSec: 300, sampleMinutes: 1, sampleEps: 1 };
    const feed = new CatalogFeed(() => readCatalog(sink), 0); // every bundle: the refresh interval, shortened
    try {
      await drive(source, sink, inlineExecutor(ottPipeline, options), () => undefined, {
        definition: ottPipeline,
        bundleBytes: 1,
        maxInFlight: 2,
        commit: { maxRows: 1, maxDelayMs: 0, checkpointCommits: 1, checkpointMs: 60_000 },
        catalog: feed,
      });
    } finally {
      await sink.close();
    }
    expect(feed.reads).to.equal(2);
    const origin = Date.parse(at(0));
    const rows = await query(warehouse, "SELECT epoch_ms(window_start) AS start, title FROM ott_viewers_per_title ORDER BY window_start");
    expect(rows.map((r) => `${(Number(r.start) - origin) / 1000} ${r.title}`)).to.deep.equal(["0 Night Train", "10 Night Train Returns", "20 Night Train Returns"]);
    const genres = await query(warehouse, "SELECT epoch_ms(window_start) AS start, genre FROM ott_trend_device_genre ORDER BY genre");
    expect(genres.map((r) => r.genre)).to.deep.equal(["Drama", "Thriller"]);
  });
});
