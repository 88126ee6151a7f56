import { expect } from "chai";
import { join } from "path";
import { BigQuery } from "@google-cloud/bigquery";
import { ENDPOINT_ENV } from "../../io/bigquery/client";
import { queryRows } from "../../io/bigquery/query";
import { DEFAULT_RETRY, REAL_CLOCK } from "../../io/bigquery/retry";
import { ORDER_66096282, ORDER_77656162 } from "../fixtures-conversations";
import { tempDir, writeLines } from "../helpers";
import { runCliAsync } from "../support/run-async";

/**
 * Opt-in: runs the pipelines into a real BigQuery project, in a fresh dataset
 * it deletes afterwards. Needs GOOGLE_APPLICATION_CREDENTIALS (a key with
 * roles/bigquery.dataEditor and roles/bigquery.jobUser, and
 * bigquery.datasets.create) and BQ_PROJECT_ID; skipped otherwise.
 */
describe("BigQuery sink against real BigQuery (opt-in)", function () {
  this.timeout(600_000);
  const project = process.env.BQ_PROJECT_ID;
  const dataset = `bva_test_${Date.now()}`;
  const dir = tempDir();
  let client: BigQuery;
  let env: NodeJS.ProcessEnv;

  before(function () {
    if (!process.env.GOOGLE_APPLICATION_CREDENTIALS || !project) {
      console.log("    skipped: set GOOGLE_APPLICATION_CREDENTIALS and BQ_PROJECT_ID to run against a real BigQuery project");
      this.skip();
    }
    env = { ...process.env };
    delete env[ENDPOINT_ENV];
    client = new BigQuery({ projectId: project });
  });

  after(async () => {
    if (client) await client.dataset(dataset).delete({ force: true }).catch(() => undefined);
  });

  const count = async (sql: string): Promise<number> => Number((await queryRows(client, sql, DEFAULT_RETRY, REAL_CLOCK))[0].n);

  it("alerts: creates the partitioned, clustered tables and stores each alert once across a re-run", async () => {
    const args = ["alerts", "--sampleEvents", "5000", "--sink=bigquery", "--project", project!, "--dataset", dataset];
    for (let run = 0; run < 2; run++) {
      const result = await runCliAsync(args, env);
      expect(result.status, result.stderr).to.equal(0);
    }
    const metadata = (await client.dataset(dataset).table("video_playback_alerts").getMetadata())[0];
    expect(metadata.timePartitioning).to.deep.include({ type: "DAY", field: "run_date" });
    expect(metadata.clustering).to.deep.equal({ fields: ["city", "isp"] });
    const table = `\`${project}.${dataset}.video_playback_alerts\``;
    const total = await count(`SELECT COUNT(*) AS n FROM ${table}`);
    expect(total).to.be.greaterThan(0);
    // insertId deduplication is best-effort; within the minute of a re-run it holds.
    expect(await count(`SELECT COUNT(DISTINCT event_id) AS n FROM ${table}`)).to.equal(total);
  });

  it("conversations: the view shows one row per order, and its SQL runs", async () => {
    const input = writeLines(join(dir, "seed.jsonl"), [...ORDER_77656162, ...ORDER_66096282]);
    const result = await runCliAsync(["conversations", "--input", input, "--sink=bigquery", "--project", project!, "--dataset", dataset], env);
    expect(result.status, result.stderr).to.equal(0);
    expect(await count(`SELECT COUNT(*) AS n FROM \`${project}.${dataset}.customer_courier_conversations\``)).to.equal(2);
  });
});
