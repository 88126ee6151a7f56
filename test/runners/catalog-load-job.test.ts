import { expect } from "chai";
import { spawn } from "child_process";
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { gzipSync } from "zlib";
import Long from "long";
import { bigQueryClient } from "../../io/bigquery/client";
import { tableResource } from "../../io/bigquery/tables";
import { readFileChunks } from "../../io/sources/file-chunks";
import { ingestionLog, titleBasics, titleRatings } from "../../schemas/catalog";
import { deadLetter } from "../../schemas/dead-letter";
import { Row, TableSpec } from "../../schemas/table";
import { LineChunk, originOf, recordsOf } from "../../transforms/core/chunk";
import { headerOf, parseCatalogChunk } from "../../transforms/catalog/imdb";
import { SnapshotFileInfo } from "../../transforms/catalog/ingestion-log";
import { loadOrder } from "../../runners/portable/load-job";
import { chunkOfRead, deadTallies, firstOfKey, keyedRows, lineTimestamp, logLines, PlacedRow, readTally, storedTally, Tally } from "../../runners/portable/load-rows";
import { BigQueryServer } from "../support/bigquery-server";
import { beamPython, TEST_PYTHON_PATH } from "../support/python-beam";
import { ROOT, tempDir } from "../helpers";

const PROJECT = "catalog-project";
const DATASET = "catalog_dataset";

/** Runs one of runners/portable/python's steps as Python's expansion service applies it, on Python's direct runner (test/support/python/run_callable_step.py); asynchronously, so the BigQuery server in this process answers it. */
async function runStep(step: string, input: readonly string[], kwargs: Record<string, unknown>, dir: string): Promise<string[]> {
  const args = join(dir, `${step}.args.json`);
  const out = join(dir, `${step}.out.jsonl`);
  writeFileSync(args, JSON.stringify({ input, kwargs }));
  const driver = join(ROOT, "test", "support", "python", "run_callable_step.py");
  const child = spawn(beamPython(), [driver, join(ROOT, "runners", "portable", "python", step), args, out], { env: { ...process.env, PYTHONPATH: TEST_PYTHON_PATH }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (data: Buffer) => void (stderr = (stderr + data.toString()).slice(-3000)));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(status, stderr).to.equal(0);
  return readFileSync(out, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as string);
}

/**
 * The Python steps of the catalog's Dataflow job (runners/portable/python)
 * on Beam's Python runner, with the job's TypeScript DoFns around them
 * (runners/portable/load-rows.ts): files read as the direct runner reads
 * them, and BigQuery load jobs against the local BigQuery server.
 */
describe("The catalog's Dataflow job steps: Python's file read and load jobs (apache-beam 2.49.0), with the job's DoFns", function () {
  this.timeout(30 * 60_000);
  const dir = tempDir();

  it("reads a gzip file into the direct runner's chunks: same first lines, same bytes (CRLF, invalid UTF-8, no final newline)", async () => {
    const lines = [headerOf("basics")];
    for (let i = 1; i <= 3000; i++) lines.push(`tt${i}\tmovie\tTitle ${i}${i % 7 === 0 ? "\r" : ""}\t\\N\t0\t2000\t\\N\t90\tDrama`);
    const bytes = Buffer.concat([Buffer.from(lines.join("\n")), Buffer.from([0x0a, 0x74, 0x74, 0xff, 0x09, 0x78])]);
    const path = join(dir, "title.basics.tsv.gz");
    writeFileSync(path, gzipSync(bytes));
    const read = (await runStep("line_chunks.py", [path], { chunk_bytes: 4096 }, dir)).map((b64) => chunkOfRead(Buffer.from(b64, "base64")));
    const direct = [...readFileChunks(path, { chunkBytes: 4096 })];
    // The cuts may differ (the direct reader cuts what zlib inflates at once); each line's number, text and UTF-8 fault may not.
    const records = (chunks: LineChunk[]) =>
      chunks.flatMap((chunk) => {
        const r = recordsOf(chunk);
        return r.payloads.map((payload, i) => `${originOf(r, i)} ${payload} ${r.undecodable?.get(i) ?? ""}`);
      });
    expect(read.length).to.be.greaterThan(5);
    expect(read.every((c, i) => i === read.length - 1 || c.data[c.data.length - 1] === 0x0a), "chunks of whole lines").to.equal(true);
    expect(records(read)).to.deep.equal(records(direct));
    expect(records(read)).to.have.length(3002);
    expect(Buffer.concat(read.map((c) => c.data))).to.deep.equal(bytes);
  });

  it("replaces the changed file's table with each key's first row, appends dead letters, then the log; a retried step loads nothing twice", async () => {
    const server = new BigQueryServer();
    const endpoint = await server.start();
    try {
      const client = bigQueryClient({ project: PROJECT, endpoint });
      await client.createDataset(DATASET, { projectId: PROJECT });
      const dataset = client.dataset(DATASET, { projectId: PROJECT });
      for (const spec of [titleBasics, titleRatings, deadLetter, ingestionLog]) await dataset.createTable(spec.name, tableResource(spec));
      await dataset.table(titleBasics.name).insert([{ tconst: "tt9", primaryTitle: "stale", genres: [], run_date: "2026-11-01" }]);
      await dataset.table(titleRatings.name).insert([{ tconst: "tt9", averageRating: 7.5, numVotes: 10, run_date: "2026-11-01" }]);

      // title.basics changed: a repeated tconst (the first line wins) and a bad line; title.ratings unchanged.
      const path = join(dir, "load", "title.basics.tsv");
      const text = [headerOf("basics"), "tt1\tmovie\tFirst\t\\N\t0\t2000\t\\N\t90\tDrama", "tt2\tmovie\tSecond\t\\N\t0\t2001\t\\N\t95\tComedy", "tt1\tmovie\tRepeated\t\\N\t0\t2002\t\\N\t80\tDrama", "tt3\tmovie\tBroken\t\\N\tmaybe\t2000\t\\N\t90\tDrama"];
      mkdirSync(join(dir, "load"), { recursive: true });
      writeFileSync(path, `${text.join("\n")}\n`);
      const files: SnapshotFileInfo[] = [
        { path, name: "title.basics.tsv", table: titleBasics.name, md5: "a".repeat(32), size: 100, unchanged: false },
        { path: join(dir, "load", "title.ratings.tsv"), name: "title.ratings.tsv", table: titleRatings.name, md5: "b".repeat(32), size: 50, unchanged: true },
      ];
      // The job's TypeScript DoFns, chunk by chunk (two lines each, so the repeated key is in another chunk), grouped by key as the runner would.
      const lines: string[] = [];
      const tallies: Tally[] = [];
      const grouped = new Map<string, Map<string, PlacedRow[]>>();
      for (const chunk of readFileChunks(path, { chunkBytes: 64 })) {
        const parsed = parseCatalogChunk(chunk, "catalog");
        const timestamp = { lookup: () => lineTimestamp(chunk) as Long };
        const batches: [TableSpec, Row[]][] = [[titleBasics, parsed.basics as Row[]], [deadLetter, parsed.deadLetters as Row[]]];
        for (const entry of batches) {
          const table = entry[0];
          if (table === deadLetter) tallies.push(...deadTallies(entry[1]));
          else tallies.push(readTally(entry[1], { table: table.name }));
          const byKey = grouped.get(table.name) ?? new Map<string, PlacedRow[]>();
          grouped.set(table.name, byKey);
          for (const kv of keyedRows(entry[1], { table, timestamp })) byKey.set(kv.key, [...(byKey.get(kv.key) ?? []), kv.value]);
        }
      }
      for (const table of grouped) for (const kv of table[1]) lines.push(firstOfKey({ key: kv[0], value: kv[1].reverse() }, { table: table[0] }));
      tallies.push(...lines.map(storedTally));
      const startedAt = Date.UTC(2026, 10, 26, 3, 15) * 1000;
      lines.push(...logLines(tallies, { log: ingestionLog, files, startedAt }));

      const tables = [titleBasics, titleRatings, ingestionLog, deadLetter];
      const io = { project: PROJECT, dataset: DATASET, staging: join(dir, "staged"), jobPrefix: "catalog_20261126_031500", files, startedAt, bigQueryEndpoint: endpoint };
      const kwargs = { project: PROJECT, dataset: DATASET, staging: io.staging, job_prefix: io.jobPrefix, loads: loadOrder(ingestionLog, tables, io), bigquery_endpoint: endpoint };
      expect((await runStep("load_tables.py", lines, kwargs, dir)).sort()).to.deep.equal(["dead_letter 1", "ingestion_log 2", "title_basics 2"]);

      const rows = (spec: TableSpec) => server.rows(PROJECT, DATASET, spec.name);
      expect(rows(titleBasics).map((r) => [r.tconst, r.primaryTitle]).sort()).to.deep.equal([["tt1", "First"], ["tt2", "Second"]]);
      expect(rows(titleRatings).map((r) => r.tconst)).to.deep.equal(["tt9"]);
      expect(rows(deadLetter).map((r) => r.source)).to.deep.equal([`${path}:5`]);
      const log = rows(ingestionLog).map((r) => [r.file_name, r.skipped_unchanged, r.rows_read, r.rows_stored, r.rows_dead_lettered]);
      expect(log.sort()).to.deep.equal([
        ["title.basics.tsv", false, 4, 2, 1],
        ["title.ratings.tsv", true, 0, 0, 0],
      ]);
      const uploads = server.requests.filter((r) => r.path === `/upload/bigquery/v2/projects/${PROJECT}/jobs`);
      expect(uploads).to.have.length(3);

      // The step again with the same job (a retried bundle): every load job exists already, so nothing is loaded twice.
      expect((await runStep("load_tables.py", lines, kwargs, dir)).sort()).to.deep.equal(["dead_letter 1", "ingestion_log 2", "title_basics 2"]);
      expect(rows(deadLetter)).to.have.length(1);
      expect(rows(ingestionLog)).to.have.length(2);
      expect(rows(titleBasics)).to.have.length(2);
    } finally {
      await server.stop();
    }
  });
});
