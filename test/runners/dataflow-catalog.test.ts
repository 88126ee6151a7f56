import { expect } from "chai";
import { createHash } from "crypto";
import { gzipSync } from "zlib";
import { ENDPOINT_ENV as BIGQUERY_ENDPOINT_ENV, bigQueryClient } from "../../io/bigquery/client";
import { tableResource } from "../../io/bigquery/tables";
import { catalogPipeline } from "../../pipelines/catalog/pipeline";
import { headerOf } from "../../transforms/catalog/imdb";
import { ExpansionDouble, startExpansionDouble } from "../support/beam-doubles";
import { BigQueryServer } from "../support/bigquery-server";
import { DataflowDouble, startDataflowDouble, storageClientEnv } from "../support/dataflow-double";
import { serviceAccountKey, stagedPipeline, submissionEnv } from "../support/dataflow-submission";
import { externalConfig } from "../support/pipeline-proto";
import { beamPython } from "../support/python-beam";
import { runCliAsync } from "../support/run-async";
import { tempDir } from "../helpers";

const PROJECT = "test-project";
const DATASET = "catalog_dataset";
const BUCKET = "imdb-bucket";
const IMAGE = "europe-docker.pkg.dev/test-project/beam-video-analytics/worker:test";
/** Beam's Python SDK image as Dataflow hosts it: Python's Dataflow runner swaps the expansion service's apache/beam_python3.11_sdk for it. */
const PYTHON_IMAGE = "gcr.io/cloud-dataflow/v1beta3/beam_python3.11_sdk:2.49.0";
const PYTHON_TRANSFORM = "beam:transforms:python:fully_qualified_named";

/**
 * `npm run pipeline -- catalog --runner=dataflow` as a user (or the batch
 * Flex Template's launcher) runs it: the change detection lists the objects
 * (Cloud Storage double) and reads the last log rows (BigQuery double); the
 * graph's Python steps are expanded by Beam's real Python expansion service
 * (apache-beam 2.49.0), and the job is submitted through Beam's Python
 * Dataflow job service to the Dataflow double. What the job then does is
 * test/flink/catalog-load-job.test.ts's.
 */
describe("catalog --runner=dataflow: a batch job of Python and TypeScript steps, through Beam's Python expansion and Dataflow job services (Google's APIs as doubles)", function () {
  this.timeout(30 * 60_000);
  const dir = tempDir();
  let python: string;
  let dataflow: DataflowDouble;
  let expansion: ExpansionDouble;
  const bigquery = new BigQueryServer();
  let env: NodeJS.ProcessEnv;

  before(async () => {
    python = beamPython();
    dataflow = await startDataflowDouble({ buckets: [BUCKET] });
    expansion = await startExpansionDouble();
    // As on a launcher VM: the identity is the metadata server's, for the listing here and for Python's job service.
    env = { ...submissionEnv(python, dataflow, expansion, serviceAccountKey(dir, `${dataflow.endpoint}/token`)), ...storageClientEnv(dataflow, tempDir()) };
    delete env.GOOGLE_APPLICATION_CREDENTIALS;
    env[BIGQUERY_ENDPOINT_ENV] = await bigquery.start();
    const client = bigQueryClient({ project: PROJECT, endpoint: env[BIGQUERY_ENDPOINT_ENV] });
    await client.createDataset(DATASET, { projectId: PROJECT });
    for (const spec of catalogPipeline.tables) await client.dataset(DATASET, { projectId: PROJECT }).createTable(spec.name, tableResource(spec));
    dataflow.objects.set(`gs://${BUCKET}/imdb/title.basics.tsv.gz`, gzipSync(`${headerOf("basics")}\ntt0000001\tshort\tCarmencita\tCarmencita\t0\t1894\t\\N\t1\tDocumentary,Short\n`));
    dataflow.objects.set(`gs://${BUCKET}/imdb/title.ratings.tsv.gz`, gzipSync(`${headerOf("ratings")}\ntt0000001\t5.7\t2100\n`));
  });

  after(async () => {
    await dataflow?.close();
    await expansion?.close();
    await bigquery.stop();
  });

  const flags = [
    "--runner=dataflow",
    "--input",
    `gs://${BUCKET}/imdb/title.*.tsv.gz`,
    `--project=${PROJECT}`,
    `--dataset=${DATASET}`,
    "--region=europe-west1",
    `--tempLocation=gs://${BUCKET}/temp`,
    `--sdkContainerImage=${IMAGE}`,
  ];

  /** The Python steps of the staged pipeline, by name, each with its keyword arguments. */
  function pythonSteps(job: Record<string, any>): Map<string, Record<string, unknown>> {
    const pipeline = stagedPipeline(dataflow, job);
    const steps = new Map<string, Record<string, unknown>>();
    for (const t of Object.values(pipeline.components!.transforms)) if (t.spec?.urn === PYTHON_TRANSFORM) steps.set(t.uniqueName, externalConfig(t).kwargs as Record<string, unknown>);
    return steps;
  }

  it("submits a JOB_TYPE_BATCH job: the changed objects read by a Python step in Dataflow's image of Beam's Python SDK, the tables replaced and the log appended by the load step", async () => {
    const run = await runCliAsync(["catalog", ...flags, `--dataflowEndpoint=${dataflow.endpoint}`], env);
    expect(run.status, run.stderr.slice(-3000)).to.equal(0);
    expect(dataflow.refusals).to.deep.equal([]);
    expect(run.stdout).to.match(/^catalog: submitted to dataflow as job \S+, state \S+$/m);
    const job = dataflow.jobs[dataflow.jobs.length - 1].body;
    expect(job.type).to.equal("JOB_TYPE_BATCH");
    const images = (job.environment.workerPools[0].sdkHarnessContainerImages as { containerImage: string }[]).map((i) => i.containerImage);
    expect(images).to.include.members([IMAGE, PYTHON_IMAGE]);

    const steps = pythonSteps(job);
    expect([...steps.keys()].sort()).to.deep.equal(["LoadTables", "ReadLineChunks"]);
    const load = steps.get("LoadTables")!;
    expect(load).to.include({ project: PROJECT, dataset: DATASET, bigquery_endpoint: env[BIGQUERY_ENDPOINT_ENV] });
    expect(load.staging).to.match(new RegExp(`^gs://${BUCKET}/temp/staged-rows/catalog-[0-9]{8}-[0-9]{6}-[0-9]+$`));
    const loads = (load.loads as string[]).map((l) => JSON.parse(l) as { table: string; load: { writeDisposition: string; createDisposition: string } });
    expect(loads.map((l) => `${l.table} ${l.load.writeDisposition} ${l.load.createDisposition}`)).to.deep.equal([
      "title_basics WRITE_TRUNCATE CREATE_NEVER",
      "title_ratings WRITE_TRUNCATE CREATE_NEVER",
      "dead_letter WRITE_APPEND CREATE_NEVER",
      "ingestion_log WRITE_APPEND CREATE_NEVER",
    ]);
  });

  it("after a logged run of the same objects: the job replaces no table, it only appends the log rows of the skipped files", async () => {
    // What a job's load step appends: each object's MD5 as Cloud Storage lists it.
    const md5 = (name: string): string => createHash("md5").update(dataflow.objects.get(`gs://${BUCKET}/imdb/${name}`)!).digest("hex");
    const client = bigQueryClient({ project: PROJECT, endpoint: env[BIGQUERY_ENDPOINT_ENV] });
    const logged = ["title.basics.tsv.gz", "title.ratings.tsv.gz"].map((name, i) => ({
      ingestion_id: `2026-11-26T03:15:00.000000Z/${name}`,
      file_name: name,
      file_path: `gs://${BUCKET}/imdb/${name}`,
      table_name: ["title_basics", "title_ratings"][i],
      md5: md5(name),
      size_bytes: dataflow.objects.get(`gs://${BUCKET}/imdb/${name}`)!.length,
      skipped_unchanged: false,
      rows_read: 1,
      rows_stored: 1,
      rows_dead_lettered: 0,
      started_at: "2026-11-26 03:15:00",
      finished_at: "2026-11-26 03:16:00",
      run_date: "2026-11-26",
    }));
    await client.dataset(DATASET, { projectId: PROJECT }).table("ingestion_log").insert(logged);
    const run = await runCliAsync(["catalog", ...flags, `--dataflowEndpoint=${dataflow.endpoint}`], env);
    expect(run.status, run.stderr.slice(-3000)).to.equal(0);
    const loads = (pythonSteps(dataflow.jobs[dataflow.jobs.length - 1].body).get("LoadTables")!.loads as string[]).map((l) => (JSON.parse(l) as { table: string }).table);
    expect(loads).to.deep.equal(["dead_letter", "ingestion_log"]);
  });
});
