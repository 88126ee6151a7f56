import * as beam from "apache-beam";
import { directRunner } from "apache-beam/runners/direct_runner";
import { Pipeline } from "apache-beam/internal/pipeline";
import { Pipeline as PipelineProto } from "apache-beam/proto/beam_runner_api";
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

/** The side inputs of a bundle's graph: the catalog snapshot the driver read, as a one-element collection. */
function sideInputs(root: beam.Root, definition: PipelineDefinition<unknown>, withCatalog: boolean): SideInputs {
  if (!definition.readsCatalog || !withCatalog) return {};
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
 * A pipeline's graph (Beam's pipeline proto), built once per thread for the
 * options of the run and reused for every bundle: building and serializing
 * it took about 9 ms of CPU a bundle for the OTT pipeline's ten views. What a
 * bundle reads (its chunks, its catalog snapshot, its watermark) reaches the
 * graph at run time through registered modules, never through the proto.
 * Two graphs at most: with the catalog side input and without it.
 */
const graphs = new WeakMap<PipelineDefinition<any>, { options: unknown; protos: Map<boolean, PipelineProto> }>();

async function graphOf<O>(definition: PipelineDefinition<O>, options: O, withCatalog: boolean): Promise<PipelineProto> {
  let built = graphs.get(definition);
  if (built === undefined || built.options !== options) {
    built = { options, protos: new Map() };
    graphs.set(definition, built);
  }
  const known = built.protos.get(withCatalog);
  if (known !== undefined) return known;
  const pipeline = new Pipeline();
  const root = new beam.Root(pipeline);
  const input = root.apply(beam.impulse()).flatMap(beam.withName("ReadChunks", readBundle));
  const outputs = definition.expand(input, options, sideInputs(root, definition as PipelineDefinition<unknown>, withCatalog));
  for (const table of Object.keys(outputs)) {
    outputs[table].map(beam.withName(`Collect(${table})`, collectRows), { table });
  }
  const proto = pipeline.getProto();
  built.protos.set(withCatalog, proto);
  return proto;
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
    const result = await directRunner().runPipeline(await graphOf(definition, options, context.catalog !== undefined));
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
