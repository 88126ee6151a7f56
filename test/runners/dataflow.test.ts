import { expect } from "chai";
import { TOPICS } from "../../io/pubsub/names";
import { PACKAGE_NAME } from "../../transforms/core/registry";
import { ExpansionDouble, startExpansionDouble } from "../support/beam-doubles";
import { DataflowDouble, startDataflowDouble } from "../support/dataflow-double";
import { externalConfig, packageJsonOf, PUBSUB_READ_URN, transformsWithUrn } from "../support/pipeline-proto";
import { beamPython } from "../support/python-beam";
import { serviceAccountKey, stagedPipeline, submissionEnv } from "../support/dataflow-submission";
import { runCliAsync } from "../support/run-async";
import { tempDir } from "../helpers";

const PROJECT = "test-project";
const REGION = "europe-west1";
const IMAGE = "europe-docker.pkg.dev/test-project/beam-video-analytics/worker:test";
const WORKER = "worker@test-project.iam.gserviceaccount.com";

describe("Dataflow submission through Beam's Python Dataflow job service (apache-beam 2.49.0), against a Dataflow API double", function () {
  this.timeout(30 * 60_000); // the first run installs apache-beam[gcp] from PyPI
  let python: string;
  let dataflow: DataflowDouble;
  let expansion: ExpansionDouble;
  let keyFile: string;
  const dir = tempDir();

  before(async () => {
    python = beamPython();
    dataflow = await startDataflowDouble();
    expansion = await startExpansionDouble();
    keyFile = serviceAccountKey(dir, `${dataflow.endpoint}/token`);
  });

  after(async () => {
    await dataflow?.close();
    await expansion?.close();
  });

  const flags = (): string[] => [
    "--runner=dataflow",
    `--project=${PROJECT}`,
    `--region=${REGION}`,
    "--tempLocation=gs://test-bucket/temp",
    `--sdkContainerImage=${IMAGE}`,
    `--serviceAccountEmail=${WORKER}`,
    "--enableStreamingEngine",
    "--experiments=enable_stackdriver_agent_metrics,min_num_workers=1",
    "--maxNumWorkers=3",
    `--dataflowEndpoint=${dataflow.endpoint}`,
  ];

  it("npm run pipeline -- alerts --runner=dataflow: the job request is a streaming Streaming Engine job of the worker image, as the worker, with the experiments, the subscription and the options", async () => {
    const before = dataflow.jobs.length;
    const run = await runCliAsync(["alerts", ...flags(), "--bufferThresholdMs=2500"], submissionEnv(python, dataflow, expansion, keyFile));
    expect(run.status, run.stderr.slice(-3000)).to.equal(0);
    expect(dataflow.refusals).to.deep.equal([]);
    expect(run.stdout, run.stdout.slice(-1500)).to.match(/^alerts: submitted to dataflow as job \S+, state RUNNING$/m);
    expect(dataflow.jobs).to.have.length(before + 1);
    const created = dataflow.jobs[before];
    const job = created.body;
    expect(created).to.include({ project: PROJECT, location: REGION });

    expect(job.type).to.equal("JOB_TYPE_STREAMING");
    expect(job.name).to.match(/^alerts-[0-9]{8}-[0-9]{6}$/);
    const env = job.environment;
    expect(env.serviceAccountEmail).to.equal(WORKER);
    expect(env.tempStoragePrefix).to.match(/^storage\.googleapis\.com\/test-bucket\/temp/);
    // Streaming Engine, runner v2 (the portable job), the Java IO beside the TypeScript workers, and the user's own.
    expect(env.experiments).to.include.members(["enable_streaming_engine", "enable_windmill_service", "use_runner_v2", "use_sibling_sdk_workers", "enable_stackdriver_agent_metrics", "min_num_workers=1"]);

    const pool = env.workerPools[0];
    expect(pool.kind).to.equal("harness");
    // A whole number, though options travel as a Struct of doubles (the job service module makes it an int again).
    expect(pool.autoscalingSettings.maxNumWorkers).to.equal(3);
    // The TypeScript steps' environment runs in the given worker image.
    const pipeline = stagedPipeline(dataflow, job);
    const tsEnvironments = Object.keys(pipeline.components!.environments).filter((id) => pipeline.components!.environments[id].dependencies.some((d) => d.roleUrn === "beam:artifact:role:staging_to:v1" || d.typeUrn === "beam:artifact:type:url:v1"));
    const images = Object.fromEntries(pool.sdkHarnessContainerImages.map((i: any) => [i.environmentId, i.containerImage]));
    expect(tsEnvironments).to.have.length.greaterThan(0);
    for (const id of tsEnvironments) expect(images[id], id).to.equal(IMAGE);

    // The project and apache-beam tarballs are staged in Cloud Storage (the double refuses a job whose packages are not).
    const staged = (pool.packages as { location: string }[]).map((p) => packageJsonOf(dataflow.objects.get(`gs://${p.location.slice("storage.googleapis.com/".length)}`)!).name);
    expect([...new Set(staged)].sort()).to.deep.equal(["apache-beam", PACKAGE_NAME]);

    // The subscription is the read's, in the staged pipeline.
    const reads = transformsWithUrn(pipeline, PUBSUB_READ_URN);
    expect(reads.map((r) => externalConfig(r).subscription)).to.deep.equal([`projects/${PROJECT}/subscriptions/${TOPICS.alerts.subscription}`]);

    const options = env.sdkPipelineOptions.options;
    expect(options).to.include({ streaming: true, enable_streaming_engine: true, project: PROJECT, region: REGION, sdk_container_image: IMAGE, job_name: job.name, buffer_threshold_ms: 2500 });
    expect(options.registered_node_modules).to.include(`${PACKAGE_NAME}/runners/portable/rows`);
    expect(dataflow.refusals).to.deep.equal([]);
  });

  it("--update replaces the running job of the same --jobName (replaceJobId), as Dataflow's update does", async () => {
    const env = submissionEnv(python, dataflow, expansion, keyFile);
    const first = await runCliAsync(["alerts", ...flags(), "--jobName=alerts-update"], env);
    expect(first.status, first.stderr.slice(-3000)).to.equal(0);
    const original = dataflow.jobs[dataflow.jobs.length - 1];
    const second = await runCliAsync(["alerts", ...flags(), "--jobName=alerts-update", "--update"], env);
    expect(second.status, second.stderr.slice(-3000)).to.equal(0);
    const replacing = dataflow.jobs[dataflow.jobs.length - 1];
    expect(replacing.body).to.include({ name: "alerts-update", replaceJobId: original.id });
    expect(dataflow.refusals).to.deep.equal([]);
  });
});
