import { createWriteStream, WriteStream } from "fs";
import { mkdtemp, rm } from "fs/promises";
import { tmpdir } from "os";
import { join } from "path";
import { once } from "events";
import { BigQuery, Dataset } from "@google-cloud/bigquery";
import { rowKey, toJsonRow } from "../../schemas/json";
import { Row, TableSpec } from "../../schemas/table";
import { bigQueryClient } from "../bigquery/client";
import { LoadJobError, loadTable, WriteDisposition } from "../bigquery/load";
import { DEFAULT_RETRY, describeError, REAL_CLOCK, RetryClock, RetryPolicy } from "../bigquery/retry";
import { BigQuerySink } from "./bigquery-sink";
import { KeyFingerprints } from "./key-fingerprints";
import { MergeSpecs } from "./merge";
import { Sink, SinkError, TableBatch, WriteResult } from "./sink";

export interface BigQueryLoadSinkSettings {
  project: string;
  dataset: string;
  pipeline: string;
  /** Tables whose rows replace the table's (WRITE_TRUNCATE) when committed; the others' rows are added (WRITE_APPEND). */
  replace: ReadonlySet<string>;
  /** The table whose rows commit the run: written last, once every other table's load succeeded. */
  commitTable: string;
  /** Of the commit rows, the tables they say were read whole (the others' staged rows are dropped). */
  committedTables(rows: readonly Row[]): string[];
  client?: BigQuery;
  retry?: RetryPolicy;
  clock?: RetryClock;
  notice?: (line: string) => void;
}

/** One table's rows staged on disk as NDJSON, its keys as fingerprints (a repeated key is stored once, first wins). */
interface Staged {
  spec: TableSpec;
  path: string;
  out: WriteStream;
  keys: KeyFingerprints;
  rows: number;
}

/**
 * A BigQuery sink for a batch of snapshot files (the catalog): rows are
 * staged in NDJSON files on local disk, so memory stays flat in the number
 * of rows, and nothing reaches BigQuery until the commit table's rows
 * arrive (planSnapshots writes them after the last row was read). Then each
 * committed table is loaded in one load job (WRITE_TRUNCATE for the
 * replaced tables: a table is never seen half-written, and a title the new
 * file lacks is gone), the others appended, and the commit rows appended
 * last. A run that stops earlier loads nothing: BigQuery keeps the last
 * good tables, and the next run finds the files unlogged and reads them
 * again. Tables are created as the streaming sink creates them.
 */
export class BigQueryLoadSink implements Sink {
  private readonly client: BigQuery;
  private readonly dataset: Dataset;
  private readonly retry: RetryPolicy;
  private readonly clock: RetryClock;
  private readonly staged = new Map<string, Staged>();
  private dir?: string;

  constructor(private readonly settings: BigQueryLoadSinkSettings) {
    this.client = settings.client ?? bigQueryClient({ project: settings.project });
    this.dataset = this.client.dataset(settings.dataset, { projectId: settings.project });
    this.retry = { ...(settings.retry ?? DEFAULT_RETRY), notice: settings.notice };
    this.clock = settings.clock ?? REAL_CLOCK;
  }

  async open(tables: readonly TableSpec[], merges?: MergeSpecs): Promise<void> {
    if (merges !== undefined && merges.size > 0) throw new SinkError("the BigQuery load sink takes plain tables, not merged ones");
    const { project, dataset, pipeline, client, retry, clock, notice } = this.settings;
    await new BigQuerySink({ project, dataset, pipeline, client: client ?? this.client, retry, clock, notice }).open(tables);
    this.dir = await mkdtemp(join(tmpdir(), "bigquery-load-"));
    for (const spec of tables) {
      const path = join(this.dir, `${spec.name}.ndjson`);
      this.staged.set(spec.name, { spec, path, out: createWriteStream(path), keys: new KeyFingerprints(), rows: 0 });
    }
  }

  async write(batch: TableBatch): Promise<WriteResult> {
    const result: WriteResult = new Map();
    for (const [name, rows] of batch) {
      const staged = this.staged.get(name);
      if (staged === undefined) throw new SinkError(`no table ${name} was opened`);
      const before = staged.rows;
      for (const row of rows) await this.stage(staged, row);
      result.set(name, { stored: staged.rows - before, duplicates: rows.length - (staged.rows - before) });
    }
    const commit = batch.get(this.settings.commitTable);
    if (commit !== undefined && commit.length > 0) await this.commit(this.settings.committedTables(commit));
    return result;
  }

  private async stage(staged: Staged, row: Row): Promise<void> {
    // The key is the table's identity; a 64-bit fingerprint keeps memory flat (a false repeat: about once in 10^12 runs of IMDb's 11 million titles).
    if (staged.spec.key.length > 0) {
      const key = rowKey(staged.spec, row);
      if (staged.keys.mayHave(key)) return;
      staged.keys.add(key);
    }
    staged.rows++;
    if (!staged.out.write(`${JSON.stringify(toJsonRow(staged.spec, row))}\n`)) await once(staged.out, "drain");
  }

  /** Loads the committed tables, then the other staged ones (appended), then the commit table's staged rows. */
  private async commit(committed: readonly string[]): Promise<void> {
    const order = [...this.staged.values()].filter((s) => s.spec.name !== this.settings.commitTable);
    for (const staged of order) {
      const replaced = this.settings.replace.has(staged.spec.name);
      if (replaced && !committed.includes(staged.spec.name)) continue;
      if (!replaced && staged.rows === 0) continue;
      await this.load(staged, replaced ? "WRITE_TRUNCATE" : "WRITE_APPEND");
    }
    await this.load(this.staged.get(this.settings.commitTable)!, "WRITE_APPEND");
  }

  private async load(staged: Staged, disposition: WriteDisposition): Promise<void> {
    await new Promise<void>((resolve, reject) => staged.out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    try {
      await loadTable(this.dataset.table(staged.spec.name), staged.spec, staged.path, disposition, this.retry, this.clock);
    } catch (error) {
      throw new SinkError(error instanceof LoadJobError ? error.message : `BigQuery: loading ${staged.spec.name} failed: ${describeError(error)}`);
    }
    staged.out = createWriteStream(staged.path);
    staged.rows = 0;
  }

  async close(): Promise<void> {
    for (const staged of this.staged.values()) staged.out.end();
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
  }

  location(): string[] {
    return [`BigQuery dataset ${this.settings.project}:${this.settings.dataset} (load jobs): tables ${[...this.staged.keys()].join(", ")}`];
  }
}
