import { expect } from "chai";
import { createHash } from "crypto";
import { gzipSync } from "zlib";
import { parseArgs, ParsedArgs } from "../../cli/args";
import { bigQueryClient, ENDPOINT_ENV } from "../../io/bigquery/client";
import { planSnapshots } from "../../runners/snapshots";
import { bigQuerySchema } from "../../schemas/bigquery";
import { ingestionLog } from "../../schemas/catalog";
import { headerOf } from "../../transforms/catalog/imdb";
import { setEnv, tempDir } from "../helpers";
import { BigQueryServer } from "../support/bigquery-server";
import { DataflowDouble, startDataflowDouble, storageClientEnv } from "../support/dataflow-double";

const PROJECT = "catalog-project";
const DATASET = "catalog_dataset";
const BUCKET = "imdb-bucket";
const BASICS = gzipSync(`${headerOf("basics")}\ntt0000001\tshort\tCarmencita\tCarmencita\t0\t1894\t\\N\t1\tDocumentary,Short\n`);
const RATINGS = gzipSync(`${headerOf("ratings")}\ntt0000001\t5.7\t2100\n`);
const md5 = (bytes: Buffer): string => createHash("md5").update(bytes).digest("hex");

/** The launcher's command line (what the Flex Template launcher gives the CLI), parsed. */
const dataflowRun = (): ParsedArgs =>
  parseArgs([
    "catalog",
    "--runner=dataflow",
    "--input",
    `gs://${BUCKET}/imdb/title.*.tsv.gz`,
    "--project",
    PROJECT,
    "--dataset",
    DATASET,
    "--region",
    "europe-west1",
    "--tempLocation",
    `gs://${BUCKET}/tmp`,
    "--sdkContainerImage",
    "worker:1",
  ]) as ParsedArgs;

/**
 * The catalog's change detection on --runner=dataflow: each object's MD5 from
 * the Cloud Storage listing (the Dataflow double's) against the last
 * ingestion_log row of its file name, read with a query from BigQuery (the
 * BigQuery API double). Nothing is read or emptied here: the job loads.
 */
describe("planSnapshots over gs:// objects (--runner=dataflow; Cloud Storage and BigQuery doubles)", () => {
  const dir = tempDir();
  let storage: DataflowDouble;
  let bigquery: BigQueryServer;
  let restore: () => void;

  before(async () => {
    storage = await startDataflowDouble({ buckets: [BUCKET] });
    bigquery = new BigQueryServer();
    const env = storageClientEnv(storage, dir);
    env[ENDPOINT_ENV] = await bigquery.start();
    restore = setEnv(env);
    storage.objects.set(`gs://${BUCKET}/imdb/title.basics.tsv.gz`, BASICS);
    storage.objects.set(`gs://${BUCKET}/imdb/title.ratings.tsv.gz`, RATINGS);
    storage.objects.set(`gs://${BUCKET}/imdb/name.basics.tsv.gz`, Buffer.from("not the catalog's"));
  });
  after(async () => {
    restore();
    await bigquery.stop();
    await storage.close();
  });

  it("finds every object changed when nothing was ingested yet (no dataset), with the listing's MD5 and size, and touches no table", async () => {
    const args = dataflowRun();
    const before = Date.now() * 1000;
    const run = await planSnapshots(args.pipeline, args.options, args.settings);
    expect(run.files).to.deep.equal([
      { path: `gs://${BUCKET}/imdb/title.basics.tsv.gz`, name: "title.basics.tsv.gz", table: "title_basics", md5: md5(BASICS), size: BASICS.length, unchanged: false },
      { path: `gs://${BUCKET}/imdb/title.ratings.tsv.gz`, name: "title.ratings.tsv.gz", table: "title_ratings", md5: md5(RATINGS), size: RATINGS.length, unchanged: false },
    ]);
    expect(run.changed).to.deep.equal([`gs://${BUCKET}/imdb/title.basics.tsv.gz`, `gs://${BUCKET}/imdb/title.ratings.tsv.gz`]);
    expect(run.startedAt).to.be.within(before, Date.now() * 1000);
    expect(run.sink).to.equal(undefined);
    // Only the log was asked for (a query): no table created, emptied or loaded.
    expect(bigquery.requests.filter((r) => r.path.endsWith("/queries"))).to.have.length(1);
    expect(bigquery.requests.map((r) => `${r.method} ${r.path}`).filter((r) => !/\/queries(\/|$)/.test(r))).to.deep.equal([]);
    expect(storage.requests.filter((r) => r.startsWith("GET /storage/v1/b/"))).to.deep.equal([`GET /storage/v1/b/${BUCKET}/o`]);
  });

  it("skips an object whose MD5 equals its file's last logged one, and reads one whose last log row has another", async () => {
    const client = bigQueryClient({ project: PROJECT });
    await client.createDataset(DATASET);
    const log = (await client.dataset(DATASET).createTable(ingestionLog.name, { schema: { fields: bigQuerySchema(ingestionLog) } }))[0];
    const row = (file: string, digest: string, finished: string): Record<string, unknown> => ({
      ingestion_id: `${finished}/${file}`,
      file_name: file,
      file_path: `gs://${BUCKET}/imdb/${file}`,
      table_name: file.startsWith("title.basics") ? "title_basics" : "title_ratings",
      md5: digest,
      size_bytes: 10,
      skipped_unchanged: false,
      rows_read: 1,
      rows_stored: 1,
      rows_dead_lettered: 0,
      started_at: finished,
      finished_at: finished,
      run_date: finished.slice(0, 10),
    });
    await log.insert([
      // basics: an older ingestion of other bytes, then the last one of these.
      row("title.basics.tsv.gz", md5(Buffer.from("older")), "2026-11-24T03:15:00Z"),
      row("title.basics.tsv.gz", md5(BASICS), "2026-11-25T03:15:00Z"),
      // ratings: these bytes once, then other bytes last: changed since.
      row("title.ratings.tsv.gz", md5(RATINGS), "2026-11-24T03:15:00Z"),
      row("title.ratings.tsv.gz", md5(Buffer.from("newer")), "2026-11-25T03:15:00Z"),
    ]);
    const args = dataflowRun();
    const run = await planSnapshots(args.pipeline, args.options, args.settings);
    expect(run.files.map((f) => [f.name, f.unchanged])).to.deep.equal([
      ["title.basics.tsv.gz", true],
      ["title.ratings.tsv.gz", false],
    ]);
    expect(run.changed).to.deep.equal([`gs://${BUCKET}/imdb/title.ratings.tsv.gz`]);
    expect(bigquery.rows(PROJECT, DATASET, ingestionLog.name)).to.have.length(4);
  });

  it("stops in one line when the bucket does not exist, before BigQuery is asked", async () => {
    const queries = bigquery.requests.length;
    const args = parseArgs(["catalog", "--runner=dataflow", "--input", "gs://no-such-bucket/imdb/title.*.tsv.gz", "--project", PROJECT, "--region", "europe-west1", "--tempLocation", `gs://${BUCKET}/tmp`, "--sdkContainerImage", "w"]) as ParsedArgs;
    const error = await planSnapshots(args.pipeline, args.options, args.settings).catch((e: Error) => e);
    expect((error as Error).message).to.equal("Cloud Storage at " + storage.endpoint + " (STORAGE_API_ENDPOINT) refused to list gs://no-such-bucket (404 The specified bucket does not exist.)");
    expect((error as Error).message.split("\n")).to.have.length(1);
    expect(bigquery.requests.length).to.equal(queries);
  });
});
