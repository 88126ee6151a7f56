import { createHash } from "crypto";
import { createReadStream } from "fs";
import { stat } from "fs/promises";
import { basename } from "path";
import { bigQueryClient } from "../io/bigquery/client";
import { listObjects } from "../io/gcs/objects";
import { BigQueryLoadSink } from "../io/sinks/bigquery-load-sink";
import { FileSource, resolveInputs } from "../io/sources/file-source";
import { Source, SourceError } from "../io/sources/source";
import { BigQuerySnapshotStore, DuckDbSnapshotStore, FORGETFUL_STORE, JsonlSnapshotStore, SnapshotStore } from "../io/sinks/snapshot-store";
import { Sink } from "../io/sinks/sink";
import { RunnablePipeline, SnapshotSpec } from "../pipelines/definition";
import { IngestionLogRow } from "../schemas/catalog";
import { deadLetter, DeadLetter } from "../schemas/dead-letter";
import { Row } from "../schemas/table";
import { formatTimestamp } from "../schemas/timestamp";
import { fileOfOrigin, ingestionLogRow, SnapshotFileInfo } from "../transforms/catalog/ingestion-log";
import { LineChunk } from "../transforms/core/chunk";
import { RunSettings, SettingsError } from "./settings";

/** What a run of snapshot files needs of its settings: the input (or the sample's seed) and the sink. */
export type SnapshotSettings = RunSettings & { readonly input?: string; readonly seed?: number };

/** What the run did, for the log rows: whether it stopped early, and the rows stored per table. */
export interface SnapshotRunStats {
  readonly interrupted: boolean;
  readonly written: ReadonlyMap<string, { stored: number }>;
}


/** MD5 and size of a file's bytes as stored (as GCS reports a blob's md5Hash), read as a stream. */
async function fingerprint(path: string): Promise<{ md5: string; size: number }> {
  const hash = createHash("md5");
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return { md5: hash.digest("hex"), size: (await stat(path)).size };
}

/** Where the log is read and the tables replaced: the sink's warehouse, and with BigQuery, the load sink that replaces them. */
function storeFor<O>(pipeline: RunnablePipeline<O>, settings: RunSettings): { store: SnapshotStore; sink?: Sink } {
  if (settings.runner === "dataflow") {
    // The job replaces the tables and appends the log rows itself (load jobs): only the log is read here.
    return { store: new BigQuerySnapshotStore(bigQueryClient({ project: settings.project }), settings.project, settings.dataset) };
  }
  if (settings.sink === "bigquery") {
    const client = bigQueryClient({ project: settings.project });
    const spec = pipeline.snapshots!;
    const replace = new Set(pipeline.tables.map((t) => t.name).filter((t) => t !== spec.log.name && t !== deadLetter.name));
    const sink = new BigQueryLoadSink({
      project: settings.project,
      dataset: settings.dataset,
      pipeline: pipeline.name,
      client,
      replace,
      commitTable: spec.log.name,
      committedTables: (rows) => (rows as readonly IngestionLogRow[]).filter((r) => !r.skipped_unchanged).map((r) => r.table_name),
    });
    return { store: new BigQuerySnapshotStore(client, settings.project, settings.dataset), sink };
  }
  return { store: localStore(settings) };
}

function localStore(settings: RunSettings): SnapshotStore {
  switch (settings.sink) {
    case "duckdb":
      return new DuckDbSnapshotStore(settings.warehouse);
    case "jsonl":
      return new JsonlSnapshotStore(settings.outputDir);
    default:
      return FORGETFUL_STORE;
  }
}

/** An input file, and how its MD5 and size are had: hashed here for a local file, as Cloud Storage listed it for a gs:// object. */
interface InputFile {
  readonly path: string;
  fingerprint(): Promise<{ md5: string; size: number }>;
}

/** The input's files: on Dataflow the gs:// objects --input names, elsewhere local files (--input, or the sample's). */
async function inputFiles<O>(pipeline: RunnablePipeline<O>, options: O, settings: SnapshotSettings): Promise<InputFile[]> {
  const input = settings.input;
  const gcs = input?.startsWith("gs://") === true;
  if (settings.runner === "dataflow" && !gcs) {
    throw new SettingsError(`${pipeline.name} on --runner=dataflow needs --input gs://bucket/objects (a name or a glob): the job's workers cannot open this machine's files`);
  }
  if (settings.runner !== "dataflow" && gcs) {
    throw new SettingsError(`--input ${input}: the direct runner and LOOPBACK workers (flink, universal) read local files; gs:// objects are read by the Dataflow job (--runner=dataflow)`);
  }
  try {
    if (gcs) return (await listObjects(input!, { project: settings.project })).map((o) => ({ path: o.uri, fingerprint: async () => ({ md5: o.md5, size: o.size }) }));
    if (input === undefined) {
      if (settings.seed === undefined) throw new SettingsError(`${pipeline.name} on --runner=${settings.runner} needs --input`);
      return (await pipeline.sampleFiles!(settings.seed, options)).map((path) => ({ path, fingerprint: () => fingerprint(path) }));
    }
    return (await resolveInputs(input)).map((path) => ({ path, fingerprint: () => fingerprint(path) }));
  } catch (error) {
    if (error instanceof SourceError) throw new SettingsError(error.message);
    throw error;
  }
}

/** Each path's table; a file of no table, or two files of one table, are refused before anything is read. */
function tablesOf(spec: SnapshotSpec, paths: readonly string[]): string[] {
  const seen = new Map<string, string>();
  return paths.map((path) => {
    const table = spec.tableOf(path);
    if (table === undefined) throw new SettingsError(`--input ${path}: not a file this pipeline reads (it reads ${spec.accepts})`);
    const other = seen.get(table);
    if (other !== undefined) throw new SettingsError(`--input: ${other} and ${path} both hold ${table}, which one file replaces whole: give one of them`);
    seen.set(table, path);
    return table;
  });
}

/** The changed files' chunks, their ledger units marked with the run, so an interrupted earlier attempt's commits are not taken for this one's. */
function attemptSource(files: readonly SnapshotFileInfo[], attempt: string): { source: Source; unread: () => string[] } {
  const paths = files.filter((f) => !f.unchanged).map((f) => f.path);
  const inner = new FileSource(paths);
  const source: Source = {
    description: paths.length === 0 ? "no changed file" : inner.description,
    bounded: true,
    async *chunks(): AsyncGenerator<LineChunk> {
      if (paths.length === 0) return;
      for await (const chunk of inner.chunks()) yield { ...chunk, unit: `${chunk.unit}#${attempt}` };
    },
    acknowledge: async () => undefined,
  };
  return { source, unread: () => inner.damaged };
}

/** What a run of snapshot files adds around the ordinary run: the source of the changed files, per-file counts, the log. */
export interface SnapshotRun {
  readonly source: Source;
  /** The log table's name. */
  readonly log: string;
  /** The files to read: those that changed. */
  readonly changed: readonly string[];
  /** Every input file, changed or not. */
  readonly files: readonly SnapshotFileInfo[];
  /** The run's start, epoch microseconds: its log rows' ingestion_id starts with formatTimestamp(startedAt). */
  readonly startedAt: number;
  /** The sink of the run when the store needs its own (BigQuery: load jobs); otherwise the runner's. */
  readonly sink?: Sink;
  observe(table: string, rows: readonly Row[]): void;
  /** Files not read to their end (damaged gzip): not logged, so the next run reads them again. */
  unread(): string[];
  /** Writes one log row per file that was skipped or read whole, and returns them. */
  finish(sink: Sink, stats: SnapshotRunStats): Promise<Row[]>;
}

/**
 * Plans a run of snapshot files: finds each file's table, MD5 and size,
 * compares the MD5 with the last logged ingestion of a file of that name,
 * and empties the tables of the files that changed. Unchanged files are not
 * read. A run that stops before a file's log row is written (a crash, Ctrl-C)
 * leaves it unlogged: the next run finds it changed and replaces its table
 * again, so the tables end as one clean run left them.
 */
export async function planSnapshots<O>(pipeline: RunnablePipeline<O>, options: O, settings: SnapshotSettings): Promise<SnapshotRun> {
  const spec = pipeline.snapshots!;
  if (settings.runner === "direct" && settings.source === "pubsub") throw new SettingsError(`${pipeline.name} reads snapshot files (--input, or its sample), not Pub/Sub`);
  const { store, sink } = storeFor(pipeline, settings);
  const startedAt = Date.now() * 1000;
  const found = await inputFiles(pipeline, options, settings);
  const tables = tablesOf(spec, found.map((f) => f.path));
  const last = await store.lastIngested(spec.log);
  const files: SnapshotFileInfo[] = [];
  for (let i = 0; i < found.length; i++) {
    const name = basename(found[i].path);
    const print = await found[i].fingerprint();
    files.push({ path: found[i].path, name, table: tables[i], md5: print.md5, size: print.size, unchanged: last.get(name) === print.md5 });
  }
  await store.clear(files.filter((f) => !f.unchanged).map((f) => f.table));
  const attempt = attemptSource(files, formatTimestamp(startedAt));
  const observed = new Map<string, number>();
  const deadByFile = new Map<string, number>();
  return {
    source: attempt.source,
    log: spec.log.name,
    changed: files.filter((f) => !f.unchanged).map((f) => f.path),
    files,
    startedAt,
    sink,
    unread: attempt.unread,
    observe(table, rows) {
      if (table !== deadLetter.name) {
        observed.set(table, (observed.get(table) ?? 0) + rows.length);
        return;
      }
      for (const row of rows as readonly DeadLetter[]) {
        const file = fileOfOrigin(row.source);
        deadByFile.set(file, (deadByFile.get(file) ?? 0) + 1);
      }
    },
    async finish(sink, stats) {
      const unread = new Set(attempt.unread().map((message) => files.find((f) => message.startsWith(`${f.path}:`))?.path));
      const finishedAt = Date.now() * 1000;
      const rows: IngestionLogRow[] = files
        .filter((f) => f.unchanged || (!stats.interrupted && !unread.has(f.path)))
        .map((f) => {
          const dead = deadByFile.get(f.path) ?? 0;
          return ingestionLogRow(f, { read: (observed.get(f.table) ?? 0) + dead, stored: stats.written.get(f.table)?.stored ?? 0, dead }, startedAt, finishedAt);
        });
      if (rows.length > 0) await sink.write(new Map([[spec.log.name, rows]]));
      return rows;
    },
  };
}
