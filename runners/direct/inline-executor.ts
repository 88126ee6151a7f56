import { PipelineDefinition } from "../../pipelines/definition";
import { RawChunk } from "../../transforms/core/chunk";
import { BundleContext } from "../../transforms/core/bundle-context";
import { BundleResult, executeBundle } from "./bundle";
import { BundleExecutor } from "./committer";

/** Executes bundles one after another in this thread (the bundle state is per thread). */
export function inlineExecutor<O>(definition: PipelineDefinition<O>, options: O): BundleExecutor {
  let last: Promise<unknown> = Promise.resolve();
  return (chunks: RawChunk[], context: BundleContext) => {
    const run: Promise<BundleResult> = last.catch(() => undefined).then(() => executeBundle(definition, options, chunks, context));
    last = run;
    return run;
  };
}
