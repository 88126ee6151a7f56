import { expect } from "chai";
import { join } from "path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DuckDbSink } from "../../io/sinks/duckdb-sink";
import { SinkError } from "../../io/sinks/sink";
import { KeyFingerprints } from "../../io/sinks/key-fingerprints";
import { createTableSql } from "../../schemas/duckdb";
import { Row } from "../../schemas/table";
import { query, tempDir } from "../helpers";
import { column, progress, summing, testTable, totals } from "../support/sink-fixtures";

const facts = testTable("facts", [column("id", "UUID", "REQUIRED"), column("n", "INT64")]);



const uuid = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

async function open(warehouse: string): Promise<DuckDbSink> {
  const sink = new DuckDbSink(warehouse);
  await sink.open([facts, totals], new Map([[totals.name, summing]]));
  return sink;
}

describe("DuckDB sink", () => {
  const dir = tempDir();

  it("stores a fact once, first write wins, across writes, within one, in upper or lower case, and after reopening", async () => {
    const warehouse = join(dir, "facts.duckdb");
    let sink = await open(warehouse);
    const first = await sink.write(new Map([[facts.name, [{ id: uuid(1), n: 1 }, { id: uuid(2), n: 2 }, { id: uuid(1), n: 3 }]]]));
    expect(first.get(facts.name)).to.include({ stored: 2, duplicates: 1 });
    const second = await sink.write(new Map([[facts.name, [{ id: uuid(2).toUpperCase(), n: 4 }, { id: uuid(3), n: 5 }]]]));
    expect(second.get(facts.name)).to.include({ stored: 1, duplicates: 1 });
    expect(await sink.storedKeys(facts.name, [uuid(1), uuid(3), uuid(4)])).to.deep.equal(new Set([uuid(1), uuid(3)]));
    await sink.close();
    sink = await open(warehouse);
    expect((await sink.write(new Map([[facts.name, [{ id: uuid(3), n: 6 }]]]))).get(facts.name)).to.include({ stored: 0, duplicates: 1 });
    await sink.close();
    expect(await query(warehouse, "SELECT id::VARCHAR AS id, n FROM facts ORDER BY id")).to.deep.equal([
      { id: uuid(1), n: "1" },
      { id: uuid(2), n: "2" },
      { id: uuid(3), n: "5" },
    ]);
    expect(await query(warehouse, "SELECT count(*) AS n FROM duckdb_constraints() WHERE table_name = 'facts' AND constraint_type = 'PRIMARY KEY'")).to.deep.equal([{ n: "0" }]);
  });

  it("keeps writing a table of facts an earlier version created with a primary key", async () => {
    const warehouse = join(dir, "old.duckdb");
    const instance = await DuckDBInstance.create(warehouse);
    const connection = await instance.connect();
    await connection.run(createTableSql(facts));
    await connection.run(`INSERT INTO facts VALUES ('${uuid(1)}', 1)`);
    connection.closeSync();
    instance.closeSync();
    const sink = await open(warehouse);
    expect((await sink.write(new Map([[facts.name, [{ id: uuid(1), n: 2 }, { id: uuid(2), n: 3 }]]]))).get(facts.name)).to.include({ stored: 1, duplicates: 1 });
    await sink.close();
    expect(await query(warehouse, "SELECT n FROM facts ORDER BY id")).to.deep.equal([{ n: "1" }, { n: "3" }]);
  });

  it("knows the units it committed, per pipeline, in the same session and after reopening, and not those of a failed commit", async () => {
    const warehouse = join(dir, "ledger.duckdb");
    let sink = await open(warehouse);
    await sink.write(new Map([[facts.name, [{ id: uuid(1), n: 1 }]]]), progress(["u1", "u2"], true));
    await sink.write(new Map([[facts.name, [{ id: "not a uuid", n: 2 }]]]), progress(["u3"], true)).catch(() => undefined);
    expect(await sink.committedUnits("p", ["u1", "u2", "u3", "u4"])).to.deep.equal(new Set(["u1", "u2"]));
    expect(await sink.committedUnits("q", ["u1"])).to.deep.equal(new Set());
    await sink.close();
    sink = await open(warehouse);
    expect(await sink.committedUnits("p", ["u2", "u3"])).to.deep.equal(new Set(["u2"]));
    await sink.close();
  });

  for (const keyed of [false, true]) {
    it(`records each unit once, repeated in a commit or committed again${keyed ? ", in a ledger an earlier version made with a key" : ""}`, async () => {
      const warehouse = join(dir, `units-${keyed}.duckdb`);
      if (keyed) {
        const instance = await DuckDBInstance.create(warehouse);
        const connection = await instance.connect();
        await connection.run("CREATE TABLE __committed_units (pipeline VARCHAR, unit VARCHAR, committed_at TIMESTAMP NOT NULL, PRIMARY KEY (pipeline, unit))");
        connection.closeSync();
        instance.closeSync();
      }
      let sink = await open(warehouse);
      await sink.write(new Map(), progress(["u1", "u1", "u2"], true));
      await sink.write(new Map(), progress(["u2", "u3"], true));
      await sink.close();
      sink = await open(warehouse);
      await sink.write(new Map(), progress(["u3", "u4"], true));
      await sink.close();
      expect(await query(warehouse, "SELECT unit, count(*) AS n FROM __committed_units GROUP BY unit ORDER BY unit")).to.deep.equal(
        ["u1", "u2", "u3", "u4"].map((unit) => ({ unit, n: "1" })),
      );
    });
  }

  it("keeps rewriting a merged table and its states that an earlier version created with primary keys", async () => {
    const warehouse = join(dir, "old-merged.duckdb");
    const instance = await DuckDBInstance.create(warehouse);
    const connection = await instance.connect();
    await connection.run(createTableSql(totals));
    await connection.run("CREATE TABLE totals__state (key VARCHAR PRIMARY KEY, state VARCHAR NOT NULL)");
    await connection.run(`INSERT INTO totals VALUES ('a', 1); INSERT INTO totals__state VALUES ('a', '{"k":"a","n":1}')`);
    connection.closeSync();
    instance.closeSync();
    const sink = await open(warehouse);
    await sink.write(new Map([[totals.name, [{ k: "a", n: 2 }, { k: "b", n: 1 }]]]), progress(["u1"], true));
    await sink.write(new Map([[totals.name, [{ k: "a", n: 3 }, { k: "b", n: 1 }]]]), progress(["u2"], false));
    await sink.write(new Map([[totals.name, [{ k: "b", n: 5 }]]]), progress(["u3"], true));
    await sink.close();
    expect(await query(warehouse, "SELECT k, n FROM totals ORDER BY k")).to.deep.equal([{ k: "a", n: "6" }, { k: "b", n: "7" }]);
    expect(await query(warehouse, "SELECT key, state FROM totals__state ORDER BY key")).to.deep.equal([
      { key: "a", state: '{"k":"a","n":6}' },
      { key: "b", state: '{"k":"b","n":7}' },
    ]);
  });

  it("rewrites a merged table's rows at checkpoints, and a run stopped between two loses nothing at the next open", async () => {
    const warehouse = join(dir, "merged.duckdb");
    let sink = await open(warehouse);
    const panes = (n: number): Row[] => [{ k: "a", n }, { k: "b", n: 1 }];
    const first = await sink.write(new Map([[totals.name, panes(1)]]), progress(["u1"], true));
    expect(first.get(totals.name)!.rows).to.have.length(2);
    const between = await sink.write(new Map([[totals.name, panes(2)]]), progress(["u2"], false));
    expect(between.get(totals.name)!.rows).to.deep.equal([]);
    expect(await sink.rowCount(totals.name)).to.equal(2);
    await sink.write(new Map([[totals.name, [{ k: "c", n: 7 }]]]), progress(["u3"], false));
    await sink.close(); // stopped between checkpoints: u2 and u3 are committed, their panes in the changelog
    expect(await query(warehouse, "SELECT k, n FROM totals ORDER BY k")).to.deep.equal([{ k: "a", n: "1" }, { k: "b", n: "1" }]);
    expect(await query(warehouse, "SELECT key FROM totals__changes ORDER BY key")).to.deep.equal([{ key: "a" }, { key: "b" }, { key: "c" }]);
    sink = await open(warehouse);
    expect(await sink.committedUnits("p", ["u1", "u2", "u3", "u4"])).to.deep.equal(new Set(["u1", "u2", "u3"]));
    await sink.write(new Map([[totals.name, panes(4)]]), progress(["u4"], false));
    const last = await sink.write(new Map(), progress([], true));
    expect(last.get(totals.name)!.rows).to.deep.equal([{ k: "a", n: 7 }, { k: "b", n: 3 }]);
    await sink.close();
    expect(await query(warehouse, "SELECT k, n FROM totals ORDER BY k")).to.deep.equal([{ k: "a", n: "7" }, { k: "b", n: "3" }, { k: "c", n: "7" }]);
    expect(await query(warehouse, "SELECT count(*) AS n FROM totals__changes")).to.deep.equal([{ n: "0" }]);
  });
  it("makes a commit a checkpoint once it holds panes of 20,000 keys of a table, so its memory stays bounded", async () => {
    const sink = await open(join(dir, "bounded.duckdb"));
    const keys = Array.from({ length: 20_000 }, (_, i) => ({ k: `k${i}`, n: 1 }));
    await sink.write(new Map([[totals.name, keys]]), progress(["u1"], false));
    expect(await sink.rowCount(totals.name)).to.equal(0);
    const next = await sink.write(new Map([[totals.name, [{ k: "k0", n: 1 }]]]), progress(["u2"], false));
    expect(next.get(totals.name)!.rows).to.have.length(20_000);
    expect(await sink.rowCount(totals.name)).to.equal(20_000);
    await sink.close();
  });

  it("gives DuckDB the warehouse's memory limit and checkpoint threshold, and stops with one line naming --warehouseMemoryMb when that is too little", async () => {
    const sink = new DuckDbSink(join(dir, "limited.duckdb"), 64);
    await sink.open([facts]);
    const reader = await sink.readerConnection();
    expect((await reader.runAndReadAll("SELECT current_setting('memory_limit')")).getRows()).to.deep.equal([["64.0 MiB"]]);
    // Its write-ahead log is checkpointed less often than DuckDB's default 16 MiB.
    expect((await reader.runAndReadAll("SELECT current_setting('checkpoint_threshold')")).getRows()).to.deep.equal([["64.0 MiB"]]);
    // A write that runs short (the limit squeezed behind the sink's back) is the same one line.
    await reader.run("SET memory_limit = '256KiB'");
    reader.closeSync();
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ id: uuid(i), n: i }));
    const squeezed = await sink.write(new Map([[facts.name, rows]])).then(() => undefined, (e: Error) => e);
    expect(squeezed).to.be.instanceOf(SinkError);
    expect((squeezed as Error).message).to.match(/needs more than its 64 MiB \([^\n]*could not allocate[^\n]*\): raise --warehouseMemoryMb$/);
    await sink.close();
    // 1 MiB is below what opening the tables takes (the CLI refuses less than 16).
    const starved = new DuckDbSink(join(dir, "starved.duckdb"), 1);
    const error = await starved.open([facts, totals], new Map([[totals.name, summing]])).then(() => undefined, (e: Error) => e);
    await starved.close();
    expect(error).to.be.instanceOf(SinkError);
    expect((error as Error).message).to.match(/needs more than its 1 MiB \(Out of Memory Error: [^\n]*\): raise --warehouseMemoryMb$/);
  });
});

/** Every type a table can hold, a record among them, nullable, for the chunk writer. */
const everything = testTable("everything", [
  column("id", "STRING", "REQUIRED"),
  column("u", "UUID"),
  column("i", "INT64"),
  column("f", "FLOAT64"),
  column("b", "BOOL"),
  column("t", "TIMESTAMP"),
  column("d", "DATE"),
  column("r", "RECORD", "NULLABLE", [column("s", "STRING"), column("n", "INT64")]),
]);

describe("DuckDB sink, values written a column at a time", () => {
  const dir = tempDir();
  // Texts on both sides of the 12 bytes DuckDB keeps inline, non-ASCII ones, integers beyond 32 and 53 - 1 bits, negative times.
  const texts = ["", "a", "twelve chars", "thirteen char", "São Paulo", "東京", "x".repeat(300)];
  const integers = [0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 5, -(2 ** 40) - 7, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
  const row = (k: number): Row => ({
    id: `row ${k}`,
    u: k % 5 === 0 ? null : uuid(k),
    i: k % 7 === 0 ? null : integers[k % integers.length],
    f: k % 6 === 0 ? null : k / 3,
    b: k % 4 === 0 ? null : k % 2 === 0,
    t: k % 9 === 0 ? null : (k - 2500) * 1_000_003_000,
    d: k % 8 === 0 ? null : k - 1000,
    r: k % 10 === 0 ? null : { s: k % 3 === 0 ? null : texts[k % texts.length], n: k % 11 === 0 ? null : -k },
  });
  // More rows than one chunk holds (2,048), so a chunk boundary is crossed.
  const rows = Array.from({ length: 5000 }, (_, k) => row(k));
  const sql = (table: string) => `SELECT id, u::VARCHAR AS u, i, f, b, epoch_us(t) AS t, (d - DATE '1970-01-01')::INTEGER AS d, r.s AS s, r.n AS n, r IS NULL AS no_r FROM ${table} ORDER BY id`;
  const expected = rows
    .map((r) => {
      const record = r.r as Row | null;
      const text = (v: unknown) => (v === null ? null : String(v));
      return { id: r.id, u: r.u, i: text(r.i), f: r.f, b: r.b, t: text(r.t), d: r.d, s: record?.s ?? null, n: text(record?.n ?? null), no_r: record === null };
    })
    .sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1));

  it("stores every type, null and record as given, appended to a table of facts itself", async () => {
    const warehouse = join(dir, "facts.duckdb");
    const sink = new DuckDbSink(warehouse);
    await sink.open([everything]);
    expect((await sink.write(new Map([[everything.name, rows]]))).get(everything.name)).to.include({ stored: rows.length, duplicates: 0 });
    await sink.close();
    expect(await query(warehouse, sql(everything.name))).to.deep.equal(expected);
  });

  it("stores the same through a staging copy, for a table created with a primary key", async () => {
    const warehouse = join(dir, "keyed.duckdb");
    const instance = await DuckDBInstance.create(warehouse);
    const connection = await instance.connect();
    await connection.run(createTableSql(everything, true));
    connection.closeSync();
    instance.closeSync();
    const sink = new DuckDbSink(warehouse);
    await sink.open([everything]);
    await sink.write(new Map([[everything.name, rows]]));
    await sink.close();
    expect(await query(warehouse, sql(everything.name))).to.deep.equal(expected);
  });

  it("refuses a value that is not of its column's type, and stores nothing of that write", async () => {
    const warehouse = join(dir, "refused.duckdb");
    const sink = new DuckDbSink(warehouse);
    await sink.open([everything]);
    try {
      await sink.write(new Map([[everything.name, [row(1), { ...row(2), i: 1.5 }]]]));
      expect.fail("a fractional INT64 was stored");
    } catch (error) {
      expect((error as Error).message).to.match(/not an integer/);
    }
    await sink.close();
    expect(await query(warehouse, "SELECT count(*) AS n FROM everything")).to.deep.equal([{ n: "0" }]);
  });
});

describe("key fingerprints", () => {
  it("has every key added and, in practice, none other", () => {
    const fingerprints = new KeyFingerprints();
    for (let i = 0; i < 300_000; i++) fingerprints.add(`evt_${i}`);
    fingerprints.add("evt_7");
    expect(fingerprints.size).to.equal(300_000);
    let missing = 0, falseHits = 0;
    for (let i = 0; i < 300_000; i++) if (!fingerprints.mayHave(`evt_${i}`)) missing++;
    for (let i = 300_000; i < 600_000; i++) if (fingerprints.mayHave(`evt_${i}`)) falseHits++;
    expect({ missing, falseHits }).to.deep.equal({ missing: 0, falseHits: 0 });
  });
});
