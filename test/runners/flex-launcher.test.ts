import { expect } from "chai";
import { copyFileSync, symlinkSync } from "fs";
import { join } from "path";
import { TOPICS } from "../../io/pubsub/names";
import { ExpansionDouble, startExpansionDouble } from "../support/beam-doubles";
import { DataflowDouble, startDataflowDouble } from "../support/dataflow-double";
import { serviceAccountKey, submissionEnv } from "../support/dataflow-submission";
import { externalConfig, PUBSUB_READ_URN, transformsWithUrn } from "../support/pipeline-proto";
import { beamPython } from "../support/python-beam";
import { spawnAsync } from "../support/run-async";
import { CliResult, ROOT, tempDir } from "../helpers";
import { Pipeline } from "apache-beam/proto/beam_runner_api";

const IMAGE = "europe-docker.pkg.dev/test-project/beam-video-analytics/worker:test";
const KMS_KEY = "projects/test-project/locations/europe-west1/keyRings/r/cryptoKeys/k";

/**
 * The launcher image's layout (templates/launcher.Dockerfile): launcher.py
 * beside the built dist/, run as Google's Python launcher runs
 * FLEX_TEMPLATE_PYTHON_PY_FILE: `python launcher.py <launch options and
 * parameters>`, with the image's environment.
 */
function launch(python: string, dir: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return spawnAsync(python, [join(dir, "launcher.py"), ...args], { cwd: dir, env });
}

describe("Flex Template launcher through the Python launcher entry point (templates/launcher.py), against a Dataflow API double", function () {
  this.timeout(30 * 60_000);
  let python: string;
  let dataflow: DataflowDouble;
  let expansion: ExpansionDouble;
  let env: NodeJS.ProcessEnv;
  const dir = tempDir();

  before(async () => {
    python = beamPython();
    dataflow = await startDataflowDouble();
    expansion = await startExpansionDouble();
    copyFileSync(join(ROOT, "templates", "launcher.py"), join(dir, "launcher.py"));
    symlinkSync(join(ROOT, "dist"), join(dir, "dist"));
    env = { ...submissionEnv(python, dataflow, expansion, serviceAccountKey(dir, `${dataflow.endpoint}/token`)), BEAM_VIDEO_PIPELINE: "alerts", BEAM_VIDEO_WORKER_IMAGE: IMAGE };
  });

  after(async () => {
    await dataflow?.close();
    await expansion?.close();
  });

  it("writes the job request to --template_location and exits, creating no job; blank parameters are absent, experiments and labels accumulate, private IPs and the KMS key are honoured", async () => {
    const location = "gs://test-bucket/launches/alerts-flex.json";
    const run = await launch(python, dir, [
      // the launch environment, as Python pipeline options
      "--runner=DataflowRunner",
      "--project=test-project",
      "--region=europe-west1",
      "--temp_location=gs://test-bucket/temp",
      "--staging_location=gs://test-bucket/staging",
      `--template_location=${location}`,
      "--job_name=alerts-flex",
      "--service_account_email=worker@test-project.iam.gserviceaccount.com",
      "--enable_streaming_engine",
      "--experiments=enable_stackdriver_agent_metrics",
      "--experiments=min_num_workers=1",
      "--no_use_public_ips",
      `--dataflow_kms_key=${KMS_KEY}`,
      "--labels=team=video",
      "--labels=env=test",
      `--dataflow_endpoint=${dataflow.endpoint}`,
      // the template parameters, optional ones left blank
      "--subscription=",
      "--timestampAttribute=",
      "--paneDelaySec=",
      "--bufferThresholdMs=2500",
    ], env);
    expect(run.status, run.stderr.slice(-3000)).to.equal(0);
    expect(dataflow.jobs).to.deep.equal([]);
    expect(dataflow.refusals).to.deep.equal([]);

    const job = JSON.parse(dataflow.objects.get(location)!.toString("utf8"));
    expect(job).to.include({ name: "alerts-flex", type: "JOB_TYPE_STREAMING" });
    expect(job.labels).to.deep.equal({ team: "video", env: "test" });
    const environment = job.environment;
    expect(environment.serviceAccountEmail).to.equal("worker@test-project.iam.gserviceaccount.com");
    expect(environment.serviceKmsKeyName).to.equal(KMS_KEY);
    expect(environment.experiments).to.include.members(["enable_stackdriver_agent_metrics", "min_num_workers=1", "enable_streaming_engine", "use_sibling_sdk_workers"]);
    expect(environment.workerPools[0].ipConfiguration).to.equal("WORKER_IP_PRIVATE");
    expect(environment.workerPools[0].sdkHarnessContainerImages.map((i: any) => i.containerImage)).to.include(IMAGE);
    const options = environment.sdkPipelineOptions.options;
    expect(options).to.include({ buffer_threshold_ms: 2500, pane_delay_sec: 10, use_public_ips: false });
    expect(options).to.not.have.any.keys("subscription", "timestamp_attribute", "source", "sink");
    // The blank subscription is the pipeline's own; no timestamp attribute: publish times.
    const pipeline = Pipeline.fromBinary(dataflow.objects.get(options.pipelineUrl)!);
    const read = externalConfig(transformsWithUrn(pipeline, PUBSUB_READ_URN)[0]);
    expect(read.subscription).to.equal(`projects/test-project/subscriptions/${TOPICS.alerts.subscription}`);
    expect(read.timestamp_attribute ?? read.timestampAttribute ?? null).to.equal(null);
  });
});
