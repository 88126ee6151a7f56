import * as beam from "apache-beam";
import { readFileSync } from "fs";
import { join } from "path";
import { StrUtf8Coder } from "apache-beam/coders/standard_coders";
import { groupByKey, withCoderInternal } from "apache-beam/transforms/internal";
import { pythonCallable, pythonTransform } from "apache-beam/transforms/python";
import { assignTimestamps, windowInto } from "apache-beam/transforms/window";
import { globalWindows } from "apache-beam/transforms/windowings";
import { timestampParam } from "apache-beam/transforms/pardo";
import { sum } from "apache-beam/transforms/combiners";
import { loadConfiguration, WriteDisposition } from "../../io/bigquery/load";
import { DEFAULT_CHUNK_BYTES } from "../../io/sources/file-source";
import { TableOutputs } from "../../pipelines/definition";
import { deadLetter } from "../../schemas/dead-letter";
import { TableSpec } from "../../schemas/table";
import { LineChunk } from "../../transforms/core/chunk";
import { SnapshotFileInfo } from "../../transforms/catalog/ingestion-log";
import { ROOT } from "./environment";
import { gatherAll } from "./rows";
import { chunkOfRead, deadTallies, firstOfKey, keyedRows, lineTimestamp, logLines, readTally, storedTally, Tally } from "./load-rows";

/**
 * A batch job over snapshot files that writes its tables itself (the catalog
 * on Dataflow): no process waits for a Dataflow job, so the job reads the
 * files, replaces the tables and appends the log on its own.
 *
 * - Reading: Python's FileSystems (Cloud Storage, gzip) in a cross-language
 *   step, cut into the direct runner's chunks of whole lines with their line
 *   numbers (python/line_chunks.py); the TypeScript SDK has no asynchronous
 *   DoFn to read gs:// itself, and Beam's text IO drops line numbers.
 * - Writing: each table's rows, one per key (the first in the file, as the
 *   direct runner keeps), staged as NDJSON under --tempLocation and loaded by
 *   BigQuery load jobs run from the job (python/load_tables.py): the changed
 *   files' tables replaced (WRITE_TRUNCATE), dead letters appended, then the
 *   ingestion log. The SDK's cross-language BigQuery write cannot replace a
 *   table (no write disposition).
 *
 * The Python steps' code is this repository's python/ files, handed to
 * Python's expansion service as callables: Dataflow's Python workers run
 * Beam's own image, which does not have this project.
 */

/** Where a load job writes, and what it loads. */
export interface LoadJobIo {
  readonly project: string;
  readonly dataset: string;
  /** A folder for the staged rows, under --tempLocation. */
  readonly staging: string;
  /** The prefix of the load jobs' ids (the Dataflow job's name): a retried step finds its own jobs. */
  readonly jobPrefix: string;
  /** Every input file, changed or not: the changed ones are read, every one is logged. */
  readonly files: readonly SnapshotFileInfo[];
  /** The run's start, epoch microseconds (the log rows' ingestion_id and started_at). */
  readonly startedAt: number;
  /** Tests: a BigQuery API endpoint other than Google's (BIGQUERY_API_ENDPOINT), reached without credentials. */
  readonly bigQueryEndpoint?: string;
}

const pythonStep = (file: string): ReturnType<typeof pythonCallable> => pythonCallable(readFileSync(join(ROOT, "runners", "portable", "python", file), "utf8"));

/** The changed files' chunks of whole lines, each timestamped with its first line's number (load-rows.ts says why). */
export async function readChangedFiles(root: beam.Root, io: LoadJobIo): Promise<beam.PCollection<LineChunk>> {
  const paths = root
    .apply(beam.withName("Files", beam.create(io.files.filter((f) => !f.unchanged).map((f) => f.path))))
    .apply(beam.withName("PathCoder", withCoderInternal(new StrUtf8Coder())));
  const read = await paths.applyAsync(beam.withName("ReadLineChunks", pythonTransform<beam.PCollection<string>, beam.PCollection<Uint8Array>>("__callable__", [pythonStep("line_chunks.py")], { chunk_bytes: DEFAULT_CHUNK_BYTES })));
  // Back in this SDK's global windowing: Python's, though equivalent, is another strategy, and the SDK cannot flatten across two.
  return read
    .apply(beam.withName("GlobalWindow", windowInto(globalWindows())))
    .map(beam.withName("ToChunks", chunkOfRead))
    .apply(beam.withName("LineTimestamps", assignTimestamps(lineTimestamp)));
}

/** Each load, in order: the changed files' tables replaced, dead letters appended, the log last. */
export function loadOrder(log: TableSpec, tables: readonly TableSpec[], io: LoadJobIo): string[] {
  const changed = new Set(io.files.filter((f) => !f.unchanged).map((f) => f.table));
  const order: [TableSpec, WriteDisposition][] = [];
  for (const table of tables) if (changed.has(table.name)) order.push([table, "WRITE_TRUNCATE"]);
  order.push([deadLetter, "WRITE_APPEND"], [log, "WRITE_APPEND"]);
  return order.map((entry) => JSON.stringify({ table: entry[0].name, load: loadConfiguration(entry[0], entry[1]) }));
}

/**
 * The outputs of the pipeline's expand -> one row per key and table, the
 * ingestion log's rows from what was read, stored and dead-lettered ->
 * Python's staging and load jobs.
 */
export async function loadTables(root: beam.Root, outputs: TableOutputs, tables: readonly TableSpec[], log: TableSpec, io: LoadJobIo): Promise<void> {
  const lines: beam.PCollection<string>[] = [];
  const tallies: beam.PCollection<Tally>[] = [root.apply(beam.withName("NoTally", beam.create<Tally>([{ tally: "", n: 0 }])))];
  for (const table of tables) {
    const batches = outputs[table.name];
    if (batches === undefined || table.name === log.name) continue;
    const stored = batches
      .flatMap(beam.withName(`Keyed(${table.name})`, keyedRows), { table, timestamp: timestampParam() })
      .apply(beam.withName(`ByKey(${table.name})`, groupByKey()))
      .map(beam.withName(`FirstOfKey(${table.name})`, firstOfKey), { table: table.name });
    lines.push(stored);
    if (table.name === deadLetter.name) tallies.push(batches.flatMap(beam.withName("DeadTallies", deadTallies)));
    else tallies.push(batches.map(beam.withName(`ReadTally(${table.name})`, readTally), { table: table.name }), stored.map(beam.withName(`StoredTally(${table.name})`, storedTally)));
  }
  const summed = beam.P(tallies).apply(beam.withName("AllTallies", beam.flatten())).apply(beam.withName("SumTallies", beam.groupBy("tally").combining("n", sum, "n")));
  lines.push(
    (summed as beam.PCollection<Tally>)
      .apply(beam.withName("Together", gatherAll<Tally>("Together")))
      .flatMap(beam.withName("LogRows", logLines), { log, files: io.files, startedAt: io.startedAt }),
  );
  const all = beam.P(lines).apply(beam.withName("AllRows", beam.flatten())).apply(beam.withName("RowCoder", withCoderInternal(new StrUtf8Coder())));
  await all.applyAsync(
    beam.withName(
      "LoadTables",
      pythonTransform<beam.PCollection<string>, beam.PCollection<string>>("__callable__", [pythonStep("load_tables.py")], {
        project: io.project,
        dataset: io.dataset,
        staging: io.staging,
        job_prefix: io.jobPrefix,
        loads: loadOrder(log, tables, io),
        bigquery_endpoint: io.bigQueryEndpoint ?? "",
      }),
    ),
  );
}
