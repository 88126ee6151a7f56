import * as beam from "apache-beam";
import { directRunner } from "apache-beam/runners/direct_runner";
import { PipelineDefinition, SideInputs, TableOutputs } from "../../pipelines/definition";
import { MessageChunk } from "../../transforms/core/chunk";

/** When the test's records were received: 2024-06-02 00:00 UTC, after every fixture's event time, epoch microseconds. */
export const RECEIVED_AT = Date.UTC(2024, 5, 2) * 1000;

/** Records as one Pub/Sub micro-batch (message ids m1, m2, ...), the chunk a runner hands the graph. */
export function messageChunk(payloads: readonly string[]): MessageChunk {
  return { kind: "messages", source: "graph-test", ids: payloads.map((_, i) => `m${i + 1}`), ackIds: [], payloads: [...payloads], receivedAt: RECEIVED_AT };
}

/**
 * Applies a pipeline's graph to a direct-runner root over `chunks`, as Beam's
 * starter project tests a pipeline: `assert` attaches Beam's testing
 * assertions to the outputs, and a failed one fails the run. `sides` makes
 * the side inputs a runner would hand the graph (the catalog's titles).
 */
export async function runGraph<O>(
  pipeline: PipelineDefinition<O>,
  options: O,
  chunks: MessageChunk[],
  assert: (outputs: TableOutputs) => void,
  sides?: (root: beam.Root) => SideInputs,
): Promise<void> {
  const debug = console.debug;
  console.debug = () => undefined; // the SDK's worker logs every bundle
  try {
    await directRunner().run((root) => assert(pipeline.expand(root.apply(beam.create(chunks)), options, sides?.(root))));
  } finally {
    console.debug = debug;
  }
}
