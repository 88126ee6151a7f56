import { PipelineDefinition } from "../../pipelines/definition";
import { RawChunk } from "../../transforms/core/chunk";
import { BundleResult, executeBundle } from "./bundle";
import { BundleExecutor } from "./driver";

/** Executes bundles one after another in this thread (the bundle state is per thread). */
export function inlineExecutor<O>(definition: PipelineDefinition<O>, options: O): BundleExecutor {
  let last: Promise<unknown> = Promise.resolve();
  return (chunks: RawChunk[]) => {
    const run: Promise<BundleResult> = last.catch(() => undefined).then(() => executeBundle(definition, options, chunks));
    last = run;
    return run;
  };
}
