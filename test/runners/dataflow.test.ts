import { expect } from "chai";
import { generateKeyPairSync } from "crypto";
import { writeFileSync } from "fs";
import { join } from "path";
import { Pipeline } from "apache-beam/proto/beam_runner_api";
import { TOPICS } from "../../io/pubsub/names";
import { GCP_EXPANSION_SERVICE } from "../../runners/portable/submit";
import { PACKAGE_NAME } from "../../transforms/core/registry";
import { ExpansionDouble, startExpansionDouble } from "../support/beam-doubles";
import { DataflowDouble, startDataflowDouble } from "../support/dataflow-double";
import { externalConfig, packageJsonOf, PUBSUB_READ_URN, transformsWithUrn } from "../support/pipeline-proto";
import { beamPython, TEST_PYTHON_PATH } from "../support/python-beam";
import { runCliAsync } from "../support/run-async";
import { tempDir } from "../helpers";

const PROJECT = "test-project";
const REGION = "europe-west1";
const IMAGE = "europe-docker.pkg.dev/test-project/beam-video-analytics/worker:test";
const WORKER = "worker@test-project.iam.gserviceaccount.com";

/** A service account key whose token URI is the double's: Google's auth library signs a JWT and trades it there. */
export function serviceAccountKey(dir: string, tokenUri: string, email = `launcher@${PROJECT}.iam.gserviceaccount.com`): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const file = join(dir, `${email}.json`);
  const key = { type: "service_account", project_id: PROJECT, private_key_id: "k1", private_key: privateKey, client_email: email, client_id: "1", token_uri: tokenUri };
  writeFileSync(file, JSON.stringify(key));
  return file;
}

/**
 * The environment of a submission through Beam's own Python Dataflow job
 * service (apache-beam[gcp] 2.49.0 from PyPI): the SDK starts it with the
 * venv's Python; its Dataflow and Cloud Storage calls go to the double, with
 * credentials from a key file; the expansion service is the gRPC double.
 */
export function submissionEnv(python: string, dataflow: DataflowDouble, expansion: ExpansionDouble, keyFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: TEST_PYTHON_PATH, BEAM_TEST_STORAGE_ENDPOINT: dataflow.endpoint };
  const overrides: Record<string, string> = { "python:*": python };
  overrides[GCP_EXPANSION_SERVICE] = expansion.address;
  env.BEAM_SERVICE_OVERRIDES = JSON.stringify(overrides);
  env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
  for (const proxy of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"]) delete env[proxy];
  return env;
}

/** The pipeline the runner staged for the job (the `pipelineUrl` option), from the double's Cloud Storage. */
export function stagedPipeline(dataflow: DataflowDouble, job: Record<string, any>): Pipeline {
  const url: string = job.environment.sdkPipelineOptions.options.pipelineUrl;
  return Pipeline.fromBinary(dataflow.objects.get(url)!);
}

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
});
