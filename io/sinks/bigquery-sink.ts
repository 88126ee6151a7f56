import { BigQuery, Dataset } from "@google-cloud/bigquery";
import { BigQueryField } from "../../schemas/bigquery";
import { deadLetter as deadLetterSpec } from "../../schemas/dead-letter";
import { rowKey, toJsonRow } from "../../schemas/json";
import { Row, TableSpec } from "../../schemas/table";
import { deadLetterOf } from "../../transforms/core/dead-letter";
import { contentId } from "../../transforms/core/ids";
import { reject } from "../../transforms/core/validate";
import { bigQueryClient } from "../bigquery/client";
import { nowMicros } from "../sources/source";
import { BatchLimits, DEFAULT_LIMITS, InsertRow, insertRows, RefusedRow } from "../bigquery/insert";
import { queryRows } from "../bigquery/query";
import { DEFAULT_RETRY, describeError, REAL_CLOCK, RetriesExhausted, RetryClock, RetryPolicy, withRetries } from "../bigquery/retry";
import { schemaMismatch, stateRow, stateTable, statesQuery, tableResource, versionRow, versionsTable, viewResource } from "../bigquery/tables";
import { MergeSpec, MergeSpecs, mergeInto, panesByKey } from "./merge";
import { Sink, SinkError, TableBatch, WriteResult } from "./sink";

export const DEFAULT_DATASET = "video_analytics";

export interface BigQuerySinkSettings {
  project: string;
  dataset: string;
  /** Named in the dead letters of rows BigQuery refuses. */
  pipeline: string;
  /** Default: bigQueryClient (honours BIGQUERY_API_ENDPOINT). */
  client?: BigQuery;
  retry?: RetryPolicy;
  clock?: RetryClock;
  /** Told of slow and failed calls as they are retried (RetryPolicy.notice). */
  notice?: (line: string) => void;
  limits?: BatchLimits;
  /** Epoch microseconds: receipt time of refused rows' dead letters, and merge versions. */
  now?: () => number;
}

interface MergedTable {
  spec: TableSpec;
  versions: TableSpec;
  states: TableSpec;
  merge: MergeSpec;
  /** The latest stored state of each key, as JSON (read at open, kept current). */
  stored: Map<string, string>;
}

/** A thrown API error with a 404 / 409 status. */
const hasStatus = (error: unknown, status: number): boolean => (error as { code?: unknown })?.code === status;

/**
 * Writes to BigQuery through `@google-cloud/bigquery` (docs/bigquery.md):
 * creates the dataset and tables when missing (DAY partitioning and clustering
 * from the schema source); streams rows with tabledata.insertAll, each with an
 * insertId derived from its table and key, so a retried or redelivered row is
 * deduplicated by BigQuery; retries transient failures with backoff; sends
 * rows BigQuery refuses to `dead_letter` with its reason. `write` resolves
 * only once every row is accepted or dead-lettered; otherwise it rejects and
 * the runner acknowledges nothing. Merged tables are append-only versions plus
 * a latest-row view, with their states in `<table>__state`.
 */
export class BigQuerySink implements Sink {
  private readonly client: BigQuery;
  private readonly dataset: Dataset;
  private readonly retry: RetryPolicy;
  private readonly clock: RetryClock;
  private readonly limits: BatchLimits;
  private readonly now: () => number;
  private readonly tables = new Map<string, TableSpec>();
  private readonly merged = new Map<string, MergedTable>();
  private lastVersion = 0;

  constructor(readonly settings: BigQuerySinkSettings) {
    this.client = settings.client ?? bigQueryClient({ project: settings.project });
    this.dataset = this.client.dataset(settings.dataset, { projectId: settings.project });
    this.retry = { ...(settings.retry ?? DEFAULT_RETRY), notice: settings.notice };
    this.clock = settings.clock ?? REAL_CLOCK;
    this.limits = settings.limits ?? DEFAULT_LIMITS;
    this.now = settings.now ?? nowMicros;
  }

  private get datasetName(): string {
    return `${this.settings.project}:${this.settings.dataset}`;
  }

  /** Runs an API call with retries; a failure becomes a one-line SinkError naming what failed. */
  private async call<T>(what: string, fn: () => Promise<T>, tolerate?: (error: unknown) => T | undefined): Promise<T> {
    try {
      return await withRetries(what, this.retry, this.clock, fn);
    } catch (error) {
      const tolerated = tolerate?.(error);
      if (tolerated !== undefined) return tolerated;
      throw new SinkError(`BigQuery: ${what} failed: ${describeError(error)}`);
    }
  }

  async open(tables: readonly TableSpec[], merges: MergeSpecs = new Map()): Promise<void> {
    const found = await this.call(`get dataset ${this.datasetName}`, async () => (await this.dataset.getMetadata())[0] as object, (e) => (hasStatus(e, 404) ? null : undefined));
    if (found === null) {
      await this.call(`create dataset ${this.datasetName}`, async () => (await this.client.createDataset(this.settings.dataset, { projectId: this.settings.project }))[0], (e) => (hasStatus(e, 409) ? this.dataset : undefined));
    }
    for (const spec of tables) {
      const merge = merges.get(spec.name);
      if (merge) {
        const versions = versionsTable(spec), states = stateTable(spec);
        await this.ensureTable(states, tableResource(states));
        await this.ensureTable(versions, tableResource(versions));
        await this.ensureTable(spec, viewResource(this.settings.project, this.settings.dataset, spec));
        this.merged.set(spec.name, { spec, versions, states, merge, stored: await this.storedStates(spec) });
      } else {
        await this.ensureTable(spec, tableResource(spec));
        this.tables.set(spec.name, spec);
      }
    }
  }

  /** Creates the table (or view) unless it exists; an existing one must have the spec's columns. */
  private async ensureTable(spec: TableSpec, resource: Record<string, unknown>): Promise<void> {
    const name = `${this.datasetName}.${spec.name}`;
    const get = async (): Promise<{ type?: string; schema?: { fields?: BigQueryField[] } } | null> =>
      this.call(`get table ${name}`, async () => (await this.dataset.table(spec.name).getMetadata())[0], (e) => (hasStatus(e, 404) ? null : undefined));
    let metadata = await get();
    if (metadata === null) {
      const created = await this.call(`create table ${name}`, async () => (await this.dataset.createTable(spec.name, resource))[1] as object, (e) => (hasStatus(e, 409) ? null : undefined));
      if (created !== null) return;
      metadata = await get(); // created meanwhile by another run
    }
    // A view's schema is inferred by BigQuery (modes included): check what it is, not its columns.
    const mismatch = "view" in resource ? (metadata?.type === "VIEW" ? undefined : "is not a view") : schemaMismatch(spec, metadata?.schema?.fields);
    if (mismatch) throw new SinkError(`BigQuery table ${name} ${mismatch}: use another --dataset or migrate it`);
  }

  /** The latest state of each key of a merged table, from its state log. */
  private async storedStates(spec: TableSpec): Promise<Map<string, string>> {
    const sql = statesQuery(this.settings.project, this.settings.dataset, spec);
    let rows: Record<string, string | null>[];
    try {
      rows = await queryRows(this.client, sql, this.retry, this.clock);
    } catch (error) {
      throw new SinkError(`BigQuery: reading the states of ${spec.name} failed: ${describeError(error)}`);
    }
    return new Map(rows.map((row) => [row.merge_key!, row.merge_state!] as const));
  }

  async write(batch: TableBatch): Promise<WriteResult> {
    const result: WriteResult = new Map();
    const refused: { table: string; row: RefusedRow }[] = [];
    for (const [name, rows] of batch) {
      if (rows.length === 0 || name === deadLetterSpec.name) continue;
      const merged = this.merged.get(name);
      if (merged) {
        const written = await this.writeMerged(merged, rows);
        result.set(name, { stored: written.length, duplicates: 0, rows: written });
        continue;
      }
      const outcome = await this.insertKeyed(this.tables.get(name)!, rows);
      for (const row of outcome.refused) refused.push({ table: name, row });
      result.set(name, { stored: outcome.stored, duplicates: outcome.duplicates });
    }
    const deadLetters = [...(batch.get(deadLetterSpec.name) ?? []), ...refused.map((r) => this.deadLetterOfRefused(r.table, r.row))];
    if (deadLetters.length > 0) {
      const spec = this.tables.get(deadLetterSpec.name);
      if (spec === undefined) throw new SinkError(`BigQuery refused rows (${refused[0].row.message}) and the pipeline has no ${deadLetterSpec.name} table`);
      const outcome = await this.insertKeyed(spec, deadLetters);
      if (outcome.refused.length > 0) throw new SinkError(`BigQuery refused dead letters: ${outcome.refused[0].message}`);
      result.set(deadLetterSpec.name, { stored: outcome.stored, duplicates: outcome.duplicates });
    }
    return result;
  }

  /** Inserts rows keyed by insertId = hash(table, key); rows repeating a key within the batch are sent once. */
  private async insertKeyed(spec: TableSpec, rows: readonly Row[]): Promise<{ stored: number; duplicates: number; refused: RefusedRow[] }> {
    const seen = new Set<string>();
    const insert: InsertRow[] = [];
    for (const row of rows) {
      const key = rowKey(spec, row);
      if (seen.has(key)) continue;
      seen.add(key);
      insert.push({ insertId: contentId(`${spec.name}\n${key}`), json: toJsonRow(spec, row) });
    }
    const refused = await this.insert(spec, insert);
    return { stored: insert.length - refused.length, duplicates: rows.length - insert.length, refused };
  }

  private async insert(spec: TableSpec, rows: readonly InsertRow[]): Promise<RefusedRow[]> {
    const name = `${this.datasetName}.${spec.name}`;
    try {
      return await insertRows(this.dataset.table(spec.name), name, rows, { limits: this.limits, retry: this.retry, clock: this.clock });
    } catch (error) {
      throw new SinkError(`BigQuery: ${error instanceof RetriesExhausted ? error.message : `insertAll into ${name} failed: ${describeError(error)}`}`);
    }
  }

  /** A refused row as a dead letter: its JSON as payload, BigQuery's reason and message. */
  private deadLetterOfRefused(table: string, refused: RefusedRow): Row {
    const where = refused.location ? ` (${refused.location})` : "";
    const source = `bigquery:${this.settings.dataset}.${table}#${refused.row.insertId}`;
    const rejection = reject(`bigquery_${refused.reason}`, `BigQuery refused the row of ${table}${where}: ${refused.message}`);
    return deadLetterOf(this.settings.pipeline, source, JSON.stringify(refused.row.json), rejection, this.now()) as unknown as Row;
  }

  /** Epoch microseconds, strictly increasing within the run: the view orders versions by it. */
  private nextVersion(): number {
    this.lastVersion = Math.max(this.now(), this.lastVersion + 1);
    return this.lastVersion;
  }

  /**
   * Merges panes with the stored states; for every key whose state changed,
   * appends the new row version (when the state has a row) and then the new
   * state. Unchanged states write nothing, so a re-run of the same input
   * stores nothing. Returns the rows written (new versions).
   */
  private async writeMerged(table: MergedTable, panes: readonly Row[]): Promise<Row[]> {
    const incoming = panesByKey(table.spec, panes);
    const stored = new Map<string, Row>();
    for (const key of incoming.keys()) {
      const json = table.stored.get(key);
      if (json !== undefined) stored.set(key, JSON.parse(json) as Row);
    }
    const merged = mergeInto(table.merge, stored, incoming);
    const version = this.nextVersion();
    const changed = new Map<string, string>();
    const rowVersions: InsertRow[] = [];
    const stateRows: InsertRow[] = [];
    const rows: Row[] = [];
    for (const [key, state] of merged.states) {
      const json = JSON.stringify(state);
      if (json === table.stored.get(key)) continue; // unchanged: nothing new to write
      changed.set(key, json);
      const id = contentId(`${table.spec.name}\n${key}\n${json}`);
      const row = merged.rows.get(key);
      if (row !== undefined) {
        rows.push(row);
        rowVersions.push({ insertId: id, json: toJsonRow(table.versions, versionRow(row, key, version)) });
      }
      stateRows.push({ insertId: id, json: toJsonRow(table.states, stateRow(key, json, version)) });
    }
    for (const part of [[table.versions, rowVersions], [table.states, stateRows]] as const) {
      const refused = await this.insert(part[0], part[1]);
      if (refused.length > 0) throw new SinkError(`BigQuery refused a row of ${part[0].name}: ${refused[0].message}`);
    }
    for (const [key, json] of changed) table.stored.set(key, json);
    return rows;
  }

  async close(): Promise<void> {
    // The client holds no connections that need closing.
  }

  location(): string[] {
    const views = [...this.merged.keys()].map((t) => `${t} (a view of ${t}__versions)`);
    return [`BigQuery dataset ${this.datasetName}: tables ${[...this.tables.keys(), ...views].join(", ")}`];
  }
}
