import * as beam from "apache-beam";
import { Pipeline } from "apache-beam/internal/pipeline";
import { writeToBigQuery } from "apache-beam/io/bigqueryio";
import { readFromPubSub } from "apache-beam/io/pubsub";
import { Pipeline as PipelineProto } from "apache-beam/proto/beam_runner_api";
import { withCoderInternal } from "apache-beam/transforms/internal";
import { windowInto } from "apache-beam/transforms/window";
import { fixedWindows } from "apache-beam/transforms/windowings";
import { PipelineDefinition } from "../../pipelines/definition";
import { Row, TableSpec } from "../../schemas/table";
import { RawChunk } from "../../transforms/core/chunk";
import { MergedPart, mergedTables, messageChunk, paneRows, tableRowCoder, tableRows } from "./rows";

/** Where the graph reads and writes on a portable runner. */
export interface PortableIo {
  /** projects/P/subscriptions/S */
  readonly subscription: string;
  /** Pub/Sub attribute with the event time; undefined: the publish time. */
  readonly timestampAttribute?: string;
  /** BigQuery project and dataset of the tables. */
  readonly project: string;
  readonly dataset: string;
  /** Fixed windows the input is cut into (seconds). */
  readonly paneWindowSec: number;
}

/** BigQueryIO's table spec. */
const tableSpecOf = (io: PortableIo, table: string): string => `${io.project}:${io.dataset}.${table}`;

/** Row-codes a collection of single rows for `table` and writes it with the SDK's cross-language BigQuery write. */
async function writeRows(rows: beam.PCollection<Row>, table: TableSpec, io: PortableIo): Promise<void> {
  const coded = rows.apply(beam.withName(`RowCoder(${table.name})`, withCoderInternal(tableRowCoder(table))));
  // The tables exist (Terraform, or the BigQuery sink's first run): never let the write create one from the Beam schema.
  await coded.applyAsync(beam.withName(`WriteToBigQuery(${table.name})`, writeToBigQuery(tableSpecOf(io, table.name), { createDisposition: "Never" })));
}

/**
 * The pipeline on a portable runner: readFromPubSub -> one MessageChunk per
 * message, in fixed windows -> `definition.expand` (the very transforms the
 * direct runner runs) -> per table, its rows -> the cross-language BigQuery
 * write. A merged table's panes go to its `__versions` and `__state` tables.
 */
async function expandPortable<O>(root: beam.Root, definition: PipelineDefinition<O>, options: O, io: PortableIo): Promise<void> {
  const read = io.timestampAttribute === undefined ? { subscription: io.subscription } : { subscription: io.subscription, timestampAttribute: io.timestampAttribute };
  const messages = await root.applyAsync(beam.withName("ReadFromPubSub", readFromPubSub(read)));
  const chunks: beam.PCollection<RawChunk> = messages
    .map(beam.withName("ToChunks", messageChunk), { source: io.subscription })
    .apply(beam.withName("PaneWindows", windowInto(fixedWindows(io.paneWindowSec))));
  const outputs = definition.expand(chunks, options);
  for (const table of definition.tables) {
    const batches = outputs[table.name];
    if (batches === undefined) continue;
    if (definition.merges?.has(table.name)) {
      const targets = mergedTables(table);
      for (const part of ["versions", "state"] as MergedPart[]) {
        const rows = batches.flatMap(beam.withName(`ToPaneRows(${targets[part].name})`, paneRows), { pipeline: definition.name, table: table.name, part });
        await writeRows(rows, targets[part], io);
      }
    } else {
      await writeRows(batches.flatMap(beam.withName(`ToRows(${table.name})`, tableRows), { table }), table, io);
    }
  }
}

/** Builds the graph and returns the pipeline proto the SDK submits (the cross-language steps are expanded on the way). */
export async function portablePipelineProto<O>(definition: PipelineDefinition<O>, options: O, io: PortableIo): Promise<PipelineProto> {
  const pipeline = new Pipeline();
  await expandPortable(new beam.Root(pipeline), definition, options, io);
  return pipeline.getProto();
}
