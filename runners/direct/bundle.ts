import * as beam from "apache-beam";
import { directRunner } from "apache-beam/runners/direct_runner";
import { PipelineDefinition, SideInputs } from "../../pipelines/definition";
import { CatalogSnapshot } from "../../transforms/catalog/titles";
import { Row } from "../../schemas/table";
import { RawChunk } from "../../transforms/core/chunk";
import { BundleContext, enterBundle, exitBundle } from "../../transforms/core/bundle-context";
import * as state from "./bundle-state";
import { registerModule } from "../../transforms/core/registry";

// The SDK's worker logs every bundle through console.debug.
const debug = console.debug;
console.debug = (...args: unknown[]) => {
  if (typeof args[0] === "string" && args[0].startsWith("Processing ")) return;
  debug(...args);
};

export function readBundle(_: unknown): RawChunk[] {
  return state.bundle.chunks;
}

export function readCatalog(_: unknown): CatalogSnapshot[] {
  return state.bundle.catalog === undefined ? [] : [state.bundle.catalog];
}

/** The side inputs of this bundle's graph: the catalog snapshot the driver read, as a one-element collection. */
function sideInputs(root: beam.Root, definition: PipelineDefinition<unknown>): SideInputs {
  if (!definition.readsCatalog || state.bundle.catalog === undefined) return {};
  return { catalog: root.apply(beam.withName("CatalogImpulse", beam.impulse())).flatMap(beam.withName("ReadCatalog", readCatalog)) };
}

export function collectRows(rows: Row[], context: { table: string }): number {
  const outputs = state.bundle.outputs;
  (outputs[context.table] ??= []).push(rows);
  return rows.length;
}

export interface BundleResult {
  tables: Map<string, Row[]>;
  counters: Record<string, number>;
}

/**
 * Runs the pipeline's graph once on Beam's direct runner over `chunks`:
 * impulse -> read the chunks -> the pipeline's transforms -> collect each
 * table's rows. One run is one bundle; the caller writes its rows to the sink.
 * `context` carries what spans bundles: the watermark, the keys to skip, the
 * catalog snapshot (read by the graph as a Beam side input).
 */
export async function executeBundle<O>(definition: PipelineDefinition<O>, options: O, chunks: RawChunk[], context: BundleContext): Promise<BundleResult> {
  state.bundle.chunks = chunks;
  state.bundle.catalog = context.catalog;
  state.bundle.outputs = {};
  enterBundle(context);
  try {
    const result = await directRunner().run((root) => {
      const input = root.apply(beam.impulse()).flatMap(beam.withName("ReadChunks", readBundle));
      const outputs = definition.expand(input, options, sideInputs(root, definition as PipelineDefinition<unknown>));
      for (const table of Object.keys(outputs)) {
        outputs[table].map(beam.withName(`Collect(${table})`, collectRows), { table });
      }
    });
    const tables = new Map<string, Row[]>();
    for (const [table, batches] of Object.entries(state.bundle.outputs)) tables.set(table, batches.flat());
    return { tables, counters: await result.counters() };
  } finally {
    exitBundle();
    state.bundle.chunks = [];
    state.bundle.catalog = undefined;
    state.bundle.outputs = {};
  }
}

registerModule("runners/direct/bundle-state", state as unknown as Record<string, unknown>);
registerModule("runners/direct/bundle", module.exports);
