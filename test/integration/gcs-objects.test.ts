import { expect } from "chai";
import { createHash } from "crypto";
import { writeFileSync } from "fs";
import { createServer, Server } from "http";
import { AddressInfo } from "net";
import { join } from "path";
import { gzipSync } from "zlib";
import { gcpMetadata } from "google-auth-library";
import { parseArgs, ParsedArgs } from "../../cli/args";
import { listObjects, STORAGE_ENDPOINT_ENV, StorageError } from "../../io/gcs/objects";
import { planSnapshots } from "../../runners/snapshots";
import { headerOf } from "../../transforms/catalog/imdb";
import { setEnv, tempDir } from "../helpers";
import { DataflowDouble, startDataflowDouble, storageClientEnv } from "../support/dataflow-double";

const BUCKET = "imdb-bucket";
const PROJECT = "test-project";
const basics = gzipSync(`${headerOf("basics")}\ntt0000001\tshort\tCarmencita\tCarmencita\t0\t1894\t\\N\t1\tDocumentary,Short\n`);

/**
 * Listing gs:// objects (io/gcs/objects.ts) against the Cloud Storage double,
 * authenticated as a Flex Template launcher is, with its VM's metadata server.
 */
describe("gs:// listing (io/gcs/objects.ts, Cloud Storage double)", () => {
  const dir = tempDir();
  let double: DataflowDouble;
  let restore: () => void;

  before(async () => {
    double = await startDataflowDouble({ buckets: [BUCKET] });
    restore = setEnv(storageClientEnv(double, dir));
  });
  after(async () => {
    restore();
    await double.close();
  });
  beforeEach(() => double.objects.clear());

  it("pages through the prefix and keeps the names the glob matches, with size and hex MD5", async () => {
    const names = ["imdb/title.akas.tsv.gz", "imdb/title.basics.tsv.gz", "imdb/title.episode.tsv.gz", "imdb/title.ratings.tsv.gz", "imdb/old/title.basics.tsv.gz", "imdb/title.basics.tsv.gz.tmp", "other/title.basics.tsv.gz"];
    names.forEach((name, i) => double.objects.set(`gs://${BUCKET}/${name}`, Buffer.from(`object ${i}`)));
    const found = await listObjects(`gs://${BUCKET}/imdb/title.*.tsv.gz`, { project: PROJECT, pageSize: 2 });
    expect(found.map((o) => o.uri)).to.deep.equal(["imdb/title.akas.tsv.gz", "imdb/title.basics.tsv.gz", "imdb/title.episode.tsv.gz", "imdb/title.ratings.tsv.gz"].map((n) => `gs://${BUCKET}/${n}`));
    expect(found[1]).to.deep.equal({ uri: `gs://${BUCKET}/imdb/title.basics.tsv.gz`, name: "imdb/title.basics.tsv.gz", size: 8, md5: createHash("md5").update("object 1").digest("hex") });
    // The prefix (6 names under imdb/title.) in pages of 2, each after the first with the last page's token.
    const lists = double.requests.filter((r) => r === `GET /storage/v1/b/${BUCKET}/o`);
    expect(lists).to.have.length(3);
  });

  it("gives the MD5 the direct runner computes for a local file of the same bytes (runners/snapshots.ts)", async () => {
    double.objects.set(`gs://${BUCKET}/imdb/title.basics.tsv.gz`, basics);
    const listed = await listObjects(`gs://${BUCKET}/imdb/title.basics.tsv.gz`, { project: PROJECT });
    const local = join(dir, "title.basics.tsv.gz");
    writeFileSync(local, basics);
    const args = parseArgs(["catalog", "--input", local, "--sink", "stdout"]) as ParsedArgs;
    const run = await planSnapshots(args.pipeline, args.options, args.settings);
    expect(listed).to.have.length(1);
    expect(listed[0].md5).to.match(/^[0-9a-f]{32}$/);
    expect(listed[0].md5).to.equal(run.files[0].md5);
    expect(listed[0].size).to.equal(run.files[0].size);
  });

  it("repeats a page Cloud Storage answered with a transient status (503), and gives up after 4 attempts in one line", async () => {
    double.objects.set(`gs://${BUCKET}/imdb/title.basics.tsv.gz`, basics);
    double.inject((r) => r === `GET /storage/v1/b/${BUCKET}/o`, 1, 503);
    const found = await listObjects(`gs://${BUCKET}/imdb/title.*.tsv.gz`, { project: PROJECT });
    expect(found.map((o) => o.name)).to.deep.equal(["imdb/title.basics.tsv.gz"]);
    double.inject((r) => r === `GET /storage/v1/b/${BUCKET}/o`, 4, 503);
    const failed = await listObjects(`gs://${BUCKET}/imdb/title.*.tsv.gz`, { project: PROJECT }).catch((e: Error) => e);
    expect((failed as Error).message).to.match(/refused to list gs:\/\/imdb-bucket \(503 We encountered an internal error\. Please try again\.; 4 attempts\)$/);
  });

  it("says in one line that a bucket does not exist, or that nothing matches the pattern", async () => {
    const missing = await listObjects("gs://no-such-bucket/imdb/title.*.tsv.gz", { project: PROJECT }).catch((e: Error) => e);
    expect(missing).to.be.instanceOf(StorageError);
    expect((missing as Error).message).to.match(/refused to list gs:\/\/no-such-bucket \(404 The specified bucket does not exist\.\)$/);
    expect(double.refusals.pop()).to.deep.equal({ status: 404, message: "The specified bucket does not exist." });
    double.objects.set(`gs://${BUCKET}/imdb/names.tsv.gz`, Buffer.from("x"));
    const none = await listObjects(`gs://${BUCKET}/imdb/title.*.tsv.gz`, { project: PROJECT }).catch((e: Error) => e);
    expect(none).to.be.instanceOf(StorageError);
    expect((none as Error).message).to.equal(`--input: no objects match gs://${BUCKET}/imdb/title.*.tsv.gz`);
  });

  it("says in one line, fast, that nothing answers at the endpoint, or not in time", async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    const back = setEnv(Object.fromEntries([[STORAGE_ENDPOINT_ENV, `http://127.0.0.1:${port}`]]));
    try {
      const started = Date.now();
      const hung = await listObjects(`gs://${BUCKET}/imdb/title.*.tsv.gz`, { project: PROJECT, timeoutMs: 500 }).catch((e: Error) => e);
      expect((hung as Error).message).to.equal(`cannot reach Cloud Storage at http://127.0.0.1:${port} (${STORAGE_ENDPOINT_ENV}) (no answer within 0.5 s) to list gs://${BUCKET}/imdb/title.*.tsv.gz`);
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      const dead = await listObjects(`gs://${BUCKET}/imdb/title.*.tsv.gz`, { project: PROJECT }).catch((e: Error) => e);
      expect(dead).to.be.instanceOf(StorageError);
      expect((dead as Error).message).to.match(/^cannot reach Cloud Storage at .* \(ECONNREFUSED\) to list /);
      expect(Date.now() - started).to.be.lessThan(3000);
    } finally {
      back();
    }
  });

  it("says in one line, without probing for a metadata server, that there are no credentials off Google Cloud", async function () {
    if (gcpMetadata.getGCPResidency()) return this.skip();
    const back = setEnv({ GCE_METADATA_HOST: undefined, METADATA_SERVER_DETECTION: undefined });
    try {
      const started = Date.now();
      const error = await listObjects(`gs://${BUCKET}/imdb/title.*.tsv.gz`, { project: PROJECT }).catch((e: Error) => e);
      expect(error).to.be.instanceOf(StorageError);
      expect((error as Error).message).to.match(/^Cloud Storage at .* \(STORAGE_API_ENDPOINT\): no Google Cloud credentials: run gcloud auth application-default login/);
      expect(Date.now() - started).to.be.lessThan(1000);
    } finally {
      back();
    }
  });

  it("is refused without a token the metadata server issued (the double checks every call)", async () => {
    const response = await fetch(`${double.endpoint}/storage/v1/b/${BUCKET}/o?prefix=imdb/`);
    expect(response.status).to.equal(401);
    const unflavoured = await fetch(`${double.endpoint}/computeMetadata/v1/instance/service-accounts/default/token`);
    expect(unflavoured.status).to.equal(403);
  });
});
