// The SDK's root first: its runner modules, when loaded before it, hit a require cycle.
import "apache-beam";
import { readFileSync } from "fs";
import { PortableRunner } from "apache-beam/runners/portable_runner/runner";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { catalogPipeline } from "../../pipelines/catalog/pipeline";
import { flinkJobServer } from "../../runners/portable/beam-services";
import { portablePipelineProto } from "../../runners/portable/graph";
import { LoadJobIo } from "../../runners/portable/load-job";
import { quietWorkers, tolerateDroppedWorkerChannels } from "../../runners/portable/submit";

/**
 * Test-only: the catalog's Dataflow job (runners/portable/load-job.ts) run on
 * Beam's Flink job server instead, with the TypeScript workers in this
 * process (LOOPBACK) and the Python steps on the Python workers the Python
 * expansion service named in BEAM_SERVICE_OVERRIDES points at. In its own
 * process: the SDK's LOOPBACK workers need the process-wide handlers of
 * the CLI's Flink runs.
 *
 *     node run-load-job.js IO.json    (prints the job's final state)
 */
async function main(): Promise<void> {
  const io = JSON.parse(readFileSync(process.argv[2], "utf8")) as LoadJobIo;
  tolerateDroppedWorkerChannels();
  quietWorkers();
  const proto = await portablePipelineProto(catalogPipeline, { sampleTitles: 0 }, { subscription: "", sink: { kind: "local" }, paneDelaySec: 1, loadJob: io });
  const service = flinkJobServer();
  const runner = new PortableRunner({ jobEndpoint: await service.start() });
  try {
    const job = (await runner.runPipelineWithProto(proto, { environmentType: "LOOPBACK", jobName: io.jobPrefix })) as unknown as { waitUntilFinish(): Promise<JobState_Enum> };
    process.stdout.write(`${JobState_Enum[await job.waitUntilFinish()]}\n`);
  } finally {
    await service.stop();
  }
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
