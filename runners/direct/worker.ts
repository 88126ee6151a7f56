import { parentPort, workerData } from "worker_threads";
import { PIPELINES } from "../../pipelines/registry";
import { executeBundle } from "./bundle";
import { WorkerReply, WorkerRequest, WorkerSetup } from "./worker-pool";

// A pool worker: runs the pipeline's graph on Beam's direct runner, one bundle per request.
const setup = workerData as WorkerSetup;
const definition = PIPELINES[setup.pipeline];

parentPort!.on("message", async (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const result = await executeBundle(definition, setup.options, request.chunks, request.context);
    reply = { id: request.id, tables: [...result.tables], counters: result.counters };
  } catch (error) {
    reply = { id: request.id, error: (error as Error).stack ?? String(error) };
  }
  parentPort!.postMessage(reply);
});
