import { mkdir } from "fs/promises";
import { dirname } from "path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { createStagingSql, createTableSql, duckdbType, LIST_SEPARATOR, quoteIdent, selectFromStagingSql, StagingColumn, stagingColumns } from "../../schemas/duckdb";
import { FieldSpec, Row, TableSpec, Value } from "../../schemas/table";
import { duckdbViewSql, ViewSpec } from "../../schemas/views";
import { ColumnChunks, tableColumns, writableAsChunks } from "./column-chunks";
import { MergeSpec, MergeSpecs, mergeInto, panesByKey } from "./merge";
import { KeyFingerprints } from "./key-fingerprints";
import { Ledger, LEDGER_RETENTION_DAYS, Progress, Sink, SinkError, TableBatch, WriteResult } from "./sink";

/** Deletes the rows of `target` whose key a row of `staging` has: a merged row is rewritten whole, as a delete and an insert. */
function deleteStagedKeysSql(target: string, key: readonly string[], staging: string): string {
  const same = key.map((k) => `${target}.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(" AND ");
  return `DELETE FROM ${target} USING ${staging} s WHERE ${same}`;
}

/** Where a merged table's states live, beside it. */
const stateTable = (table: TableSpec): string => `${table.name}__state`;
/** A merged table's changelog: the panes committed since its last checkpoint. */
const changesTable = (table: TableSpec): string => `${table.name}__changes`;

export const DEFAULT_WAREHOUSE = ".warehouse/warehouse.duckdb";

/**
 * DuckDB's memory limit for the warehouse, in MiB. Its default (80% of the
 * machine's memory) lets it keep every block it wrote cached, so a run's
 * memory grew with the tables; at 128 MiB it evicts what it wrote (the file
 * has it) and spills to `<file>.tmp` what an operation needs beyond it:
 * 6-13% less peak memory for OTT for a few percent of speed (blocks read
 * back; docs/benchmarks.md, 2026-11-27).
 */
export const DEFAULT_WAREHOUSE_MEMORY_MB = 128;

/**
 * How much write-ahead log DuckDB gathers before it checkpoints it into the
 * file (its default is 16 MiB: for OTT about every other commit). A
 * checkpoint compresses and rewrites the row groups the commits changed, so
 * fewer of them cost less: 9-11% less time for OTT over 1M events, 5% for
 * conversations, the same peak memory under the memory limit. It also
 * bounds what reopening after a crash replays.
 */
const WAREHOUSE_CHECKPOINT_WAL = "64MiB";

/** Keys of one merged table whose panes the sink holds between checkpoints, at most (a few hundred bytes each). */
const MAX_PENDING_KEYS = 20_000;

/** The ledger's tables: input units committed per pipeline, and each pipeline's watermark. */
const UNITS_TABLE = "__committed_units";
/** A committed unit as its fingerprint is taken (the SQL that loads them spells it the same way). */
const unitKey = (pipeline: string, unit: string): string => `${pipeline}\u0001${unit}`;
const WATERMARKS_TABLE = "__watermarks";

/** A staging column's value in a row (see stagingColumns). */
function stagedValue(row: Row, column: StagingColumn): Value {
  let value: Value | undefined = row;
  for (const name of column.path) {
    value = value === null || value === undefined ? null : (value as Row)[name];
  }
  if (column.present) return value !== null && value !== undefined;
  if (column.joined) return ((value ?? []) as readonly string[]).join(LIST_SEPARATOR);
  return value === undefined ? null : value;
}

/** A key as the warehouse spells it when cast to text (a UUID in lower case). */
function keyText(field: FieldSpec, value: Value): string {
  return field.type === "UUID" ? String(value).toLowerCase() : String(value);
}

/**
 * The embedded warehouse: one DuckDB file. Each write appends every table's
 * rows to a temporary staging table and moves them in, all in one
 * transaction: rows are keyed, so re-reading input stores nothing twice, and
 * a batch is committed whole or not at all.
 *
 * A table of facts (every table but the merged ones) has no primary-key
 * index: DuckDB's index costs about 10 us a row to check, as much again at
 * every commit and checkpoint, and stays in memory whole, growing with the
 * table. The sink keeps the keys' 64-bit fingerprints instead
 * (key-fingerprints.ts, loaded at open), drops the rows whose key the table
 * holds (a fingerprint hit is confirmed against the table) and inserts the
 * rest plainly. A table created with a primary key by an earlier version
 * keeps it and `ON CONFLICT DO NOTHING`.
 *
 * Merged tables (see merge.ts) keep their CombineFn states in `<table>__state`,
 * written at checkpoints (a write whose progress says so, or one without
 * progress) the way a streaming runner's state backend is: between two, a
 * commit appends its panes (one per key) to `<table>__changes`, in the same
 * transaction as its other rows and its ledger entry, and merges them into
 * the panes held in memory (for at most MAX_PENDING_KEYS keys a table: a
 * commit that finds more is a checkpoint); a checkpoint merges those with
 * the stored states, rewrites the states and rows of the keys they touch and
 * empties the changelog. Neither the states nor the rows have a key index:
 * fingerprints of the stored state keys say which keys need their state read
 * back and their state and row deleted before the new ones are inserted; a
 * new key costs an append to each. A key is thus rewritten once per
 * checkpoint instead of once per commit. Opening a warehouse whose changelog
 * is not empty (a run that stopped between checkpoints) merges it in first.
 */
export class DuckDbSink implements Sink, Ledger {
  readonly ledger: Ledger = this;
  private instance?: DuckDBInstance;
  private connection?: DuckDBConnection;
  private tables = new Map<string, TableSpec>();
  private merges = new Map<string, MergeSpec>();
  /** Per merged table, by key: the panes committed since the last checkpoint, merged. */
  private readonly pending = new Map<string, Map<string, Row>>();
  /** Per merged table: fingerprints of the keys `<table>__state` holds. */
  private readonly stateKeys = new Map<string, KeyFingerprints>();
  /**
   * Fingerprints of the ledger's committed units (pipeline and unit), so
   * that asking about new input (every micro-batch does) neither queries the
   * ledger nor waits behind the running commit; only a hit (a redelivery) does.
   */
  private units = new KeyFingerprints();
  /** Each table's staging columns, written a chunk at a time. */
  private readonly staging = new Map<string, ColumnChunks>();
  /** Tables of facts whose rows are appended to the table itself, records as STRUCTs: no staging copy, no INSERT. */
  private readonly direct = new Map<string, ColumnChunks>();
  /** Each staging table's CREATE OR REPLACE, which also empties it (see emptyStaging). */
  private readonly stagingDdl = new Map<string, string>();
  /** Keys of the tables of facts, by table; `primaryKey` when the table was created with one. */
  private readonly keys = new Map<string, { fingerprints: KeyFingerprints; field: FieldSpec; primaryKey: boolean }>();
  /** One operation at a time on the connection: the ledger's lookups share staging tables with commits. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string, private readonly memoryMb = DEFAULT_WAREHOUSE_MEMORY_MB) {}

  private async connect(): Promise<DuckDBConnection> {
    if (this.connection) return this.connection;
    await mkdir(dirname(this.path), { recursive: true });
    try {
      this.instance = await DuckDBInstance.create(this.path, { memory_limit: `${this.memoryMb}MiB`, checkpoint_threshold: WAREHOUSE_CHECKPOINT_WAL });
    } catch (error) {
      // Opening replays the write-ahead log, which may need more than the limit.
      const memory = this.outOfMemory(error);
      throw memory !== error ? memory : new SinkError(`cannot open warehouse ${this.path}: ${(error as Error).message.split("\n")[0]}`);
    }
    this.connection = await this.instance.connect();
    return this.connection;
  }

  /** Names of the tables already in the warehouse. */
  async existingTables(): Promise<string[]> {
    const reader = await (await this.connect()).runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'");
    return reader.getRows().map((r) => String(r[0]));
  }

  async open(tables: readonly TableSpec[], merges: MergeSpecs = new Map(), views: readonly ViewSpec[] = []): Promise<void> {
    await this.openTables(tables, merges, views).catch((error) => {
      throw this.outOfMemory(error);
    });
  }

  private async openTables(tables: readonly TableSpec[], merges: MergeSpecs, views: readonly ViewSpec[]): Promise<void> {
    const connection = await this.connect();
    // No key index: the fingerprints say which units may be there (an index cost about 40 ms more a commit of 1,500 messages, and grows with them).
    await connection.run(`CREATE TABLE IF NOT EXISTS ${UNITS_TABLE} (pipeline VARCHAR NOT NULL, unit VARCHAR NOT NULL, committed_at TIMESTAMP NOT NULL)`);
    await connection.run(`CREATE TABLE IF NOT EXISTS ${WATERMARKS_TABLE} (pipeline VARCHAR PRIMARY KEY, watermark_micros BIGINT NOT NULL)`);
    await connection.run(`DELETE FROM ${UNITS_TABLE} WHERE committed_at < now()::TIMESTAMP - INTERVAL ${LEDGER_RETENTION_DAYS} DAY`);
    this.units = await this.loadFingerprints(UNITS_TABLE, "pipeline || chr(1) || unit", false);
    await this.createStaging("staging_keys", `CREATE OR REPLACE TEMP TABLE staging_keys (k VARCHAR)`);
    const existing = new Set(await this.existingTables());
    for (const table of tables) {
      const merge = merges.get(table.name);
      const facts = merge === undefined && table.key.length === 1;
      await connection.run(createTableSql(table, !facts && merge === undefined));
      const primaryKey = await this.checkColumns(table, facts || merge !== undefined);
      if (facts) {
        const field = table.fields.find((f) => f.name === table.key[0])!;
        this.keys.set(table.name, { fingerprints: existing.has(table.name) ? await this.loadFingerprints(table.name, table.key[0]) : new KeyFingerprints(), field, primaryKey });
        if (!primaryKey && writableAsChunks(table.fields)) this.direct.set(table.name, new ColumnChunks(tableColumns(table.fields)));
      }
      await this.createStaging(`staging_${table.name}`, createStagingSql(table, `staging_${table.name}`));
      this.tables.set(table.name, table);
      this.staging.set(table.name, new ColumnChunks(stagingColumns(table.fields).map((column) => ({ field: column.field, value: (row: Row) => stagedValue(row, column) }))));
      if (merge) {
        await connection.run(`CREATE TABLE IF NOT EXISTS ${quoteIdent(stateTable(table))} (key VARCHAR NOT NULL, state VARCHAR NOT NULL)`);
        await connection.run(`CREATE TABLE IF NOT EXISTS ${quoteIdent(changesTable(table))} (key VARCHAR NOT NULL, pane VARCHAR NOT NULL)`);
        this.merges.set(table.name, merge);
        this.pending.set(table.name, new Map());
        this.stateKeys.set(table.name, await this.loadFingerprints(stateTable(table), "key"));
        await this.recover(table, merge);
      }
    }
    for (const view of views) await connection.run(`CREATE OR REPLACE VIEW ${quoteIdent(view.name)} AS\n${duckdbViewSql(view)}`);
  }

  private async createStaging(name: string, ddl: string): Promise<void> {
    this.stagingDdl.set(name, ddl);
    await this.connection!.run(ddl);
  }

  /**
   * Empties a staging table by making it anew: DuckDB never gives back the
   * memory of rows deleted from a temporary table (DELETE and TRUNCATE alike),
   * so emptying with DELETE made a run's memory grow with every row it ever
   * staged (about 75 bytes a row for the alerts).
   */
  private async emptyStaging(name: string): Promise<void> {
    await this.connection!.run(this.stagingDdl.get(name)!);
  }

  /** Merges what a stopped run left in a changelog into the states, as its next checkpoint would have. */
  private async recover(table: TableSpec, merge: MergeSpec): Promise<void> {
    const connection = this.connection!;
    const reader = await connection.runAndReadAll(`SELECT key, pane FROM ${quoteIdent(changesTable(table))}`);
    if (reader.currentRowCount === 0) return;
    const incoming = new Map<string, Row[]>();
    for (const r of reader.getRows()) {
      const key = String(r[0]);
      const list = incoming.get(key);
      const pane = JSON.parse(String(r[1])) as Row;
      if (list) list.push(pane);
      else incoming.set(key, [pane]);
    }
    await connection.run("BEGIN TRANSACTION");
    try {
      const merged = await this.mergePanes(table, merge, incoming);
      await connection.run(`DELETE FROM ${quoteIdent(changesTable(table))}`);
      await connection.run("COMMIT");
      merged.apply();
    } catch (error) {
      await connection.run("ROLLBACK");
      throw error;
    }
  }

  /** The fingerprints of the keys a table holds in `column` (a table of facts' key, a state table's; or an expression, unquoted). */
  private async loadFingerprints(table: string, column: string, quoted = true): Promise<KeyFingerprints> {
    const fingerprints = new KeyFingerprints();
    const result = await this.connection!.stream(`SELECT CAST(${quoted ? quoteIdent(column) : column} AS VARCHAR) FROM ${quoteIdent(table)}`);
    for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      for (const key of chunk.getColumnValues(0)) fingerprints.add(String(key));
    }
    return fingerprints;
  }

  /**
   * A warehouse written by an older schema is reported, not silently mixed.
   * Says whether the table has its key as primary key: a table of facts or a
   * merged table may have it (made by an earlier version); any other table needs it.
   */
  private async checkColumns(table: TableSpec, keyOptional: boolean): Promise<boolean> {
    const reader = await this.connection!.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $name ORDER BY ordinal_position`,
      { name: table.name },
    );
    const found = reader.getRows().map((r) => `${r[0]} ${r[1]}`).join(", ");
    const expected = table.fields.map((f) => `${f.name} ${duckdbType(f)}`).join(", ");
    // DuckDB quotes only the struct field names that need it; compare unquoted.
    if (found.replace(/"/g, "") !== expected.replace(/"/g, "")) {
      throw new SinkError(`table ${table.name} in ${this.path} has columns (${found}), expected (${expected}): use another --warehouse or migrate it`);
    }
    // Storing each key once (ON CONFLICT) needs the key as the table's primary key.
    const keys = await this.connection!.runAndReadAll(
      `SELECT array_to_string(constraint_column_names, ', ') FROM duckdb_constraints() WHERE schema_name = 'main' AND table_name = $name AND constraint_type = 'PRIMARY KEY'`,
      { name: table.name },
    );
    const key = table.key.join(", ");
    const primaryKey = keys.getRows()[0]?.[0];
    if (primaryKey === key || (keyOptional && primaryKey === undefined)) return primaryKey === key;
    throw new SinkError(`table ${table.name} in ${this.path} does not have PRIMARY KEY (${key}), by which each row is stored once: use another --warehouse or recreate the table with it`);
  }

  /** Runs `operation` once every operation started before it has finished. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const mapped = (): Promise<T> => operation().catch((error) => Promise.reject(this.outOfMemory(error)));
    const result = this.lock.then(mapped, mapped);
    this.lock = result.catch(() => undefined);
    return result;
  }

  write(batch: TableBatch, progress?: Progress): Promise<WriteResult> {
    return this.exclusive(() => this.writeNow(batch, progress));
  }

  private async writeNow(batch: TableBatch, progress?: Progress): Promise<WriteResult> {
    const connection = this.connection!;
    const result: WriteResult = new Map();
    const added: { fingerprints: KeyFingerprints; keys: Iterable<string> }[] = [];
    /** What the commit changes in memory, applied once it is durable. */
    const afterCommit: (() => void)[] = [];
    // Panes held for more keys than MAX_PENDING_KEYS make this commit a checkpoint: memory stays bounded whatever the policy.
    const checkpoint = progress?.checkpoint !== false || [...this.pending.values()].some((panes) => panes.size >= MAX_PENDING_KEYS);
    await connection.run("BEGIN TRANSACTION");
    try {
      if (progress) {
        await this.record(progress);
        afterCommit.push(() => progress.units.forEach((unit) => this.units.add(unitKey(progress.pipeline, unit))));
      }
      const names = new Set([...batch.keys()].filter((name) => batch.get(name)!.length > 0));
      if (checkpoint) for (const [name, pending] of this.pending) if (pending.size > 0) names.add(name);
      for (const name of names) {
        const rows = batch.get(name) ?? [];
        const table = this.tables.get(name)!;
        const merge = this.merges.get(name);
        if (merge) {
          const pending = this.pending.get(name)!;
          const incoming = panesByKey(table, rows);
          if (checkpoint) {
            for (const [key, state] of pending) incoming.set(key, [state, ...(incoming.get(key) ?? [])]);
            const merged = await this.mergePanes(table, merge, incoming);
            await connection.run(`DELETE FROM ${quoteIdent(changesTable(table))}`);
            afterCommit.push(() => pending.clear(), merged.apply);
            result.set(name, { stored: merged.stored, duplicates: 0, rows: merged.rows });
          } else {
            const panes = await this.logChanges(table, merge, incoming);
            afterCommit.push(() => {
              for (const [key, pane] of panes) {
                const before = pending.get(key);
                pending.set(key, before === undefined ? pane : merge.merge([before, pane]));
              }
            });
            result.set(name, { stored: 0, duplicates: 0, rows: [] });
          }
        } else {
          const keys = this.keys.get(name);
          const fresh = keys === undefined || keys.primaryKey ? undefined : await this.newRows(table, rows);
          const inserted = await this.insert(table, fresh?.rows ?? rows, fresh === undefined ? "ON CONFLICT DO NOTHING" : "");
          if (keys !== undefined) added.push({ fingerprints: keys.fingerprints, keys: fresh?.keys ?? rows.map((row) => keyText(keys.field, row[table.key[0]])) });
          result.set(name, { stored: inserted, duplicates: rows.length - inserted });
        }
      }
      await connection.run("COMMIT");
    } catch (error) {
      await connection.run("ROLLBACK");
      throw error;
    }
    for (const table of added) for (const key of table.keys) table.fingerprints.add(key);
    for (const apply of afterCommit) apply();
    return result;
  }

  /** DuckDB's out-of-memory error (opening, or any operation under `exclusive`) as one line that says which flag gives it more; any other error as it is. */
  private outOfMemory(error: unknown): unknown {
    // Already one line of ours (an operation's error passing through open's own mapping).
    if (error instanceof SinkError) return error;
    const line = ((error as Error)?.message ?? "").split("\n")[0];
    // The appender reports it without DuckDB's "Out of Memory Error" prefix ("Failed to append: could not allocate block ...").
    if (!/Out of Memory Error|could not allocate|failed to (pin|allocate)/.test(line)) return error;
    return new SinkError(`warehouse ${this.path} needs more than its ${this.memoryMb} MiB (${line}): raise --warehouseMemoryMb`);
  }

  /** Appends one merged pane per key to the table's changelog; returns them. */
  private async logChanges(table: TableSpec, merge: MergeSpec, incoming: ReadonlyMap<string, readonly Row[]>): Promise<Map<string, Row>> {
    const panes = new Map<string, Row>();
    for (const [key, list] of incoming) panes.set(key, list.length === 1 ? list[0] : merge.merge(list));
    await this.appendStates(changesTable(table), panes);
    return panes;
  }

  /**
   * Appends (key, JSON) rows straight into a state or changelog table, in the
   * open transaction: no temporary copy to insert from and then drop (which
   * cost as much as the append for these long texts).
   */
  private async appendStates(table: string, states: ReadonlyMap<string, Row>): Promise<void> {
    if (states.size === 0) return;
    const appender = await this.connection!.createAppender(table);
    for (const [key, state] of states) {
      appender.appendVarchar(key);
      appender.appendVarchar(JSON.stringify(state));
      appender.endRow();
    }
    appender.closeSync();
  }

  /** Of a table of facts' rows, those whose key is neither stored nor repeated within them (the first one stays), and their keys. */
  private async newRows(table: TableSpec, rows: readonly Row[]): Promise<{ rows: Row[]; keys: Set<string> }> {
    const keys = this.keys.get(table.name)!;
    const texts = rows.map((row) => keyText(keys.field, row[table.key[0]]));
    const stored = await this.storedIn(table, texts);
    const seen = new Set<string>();
    const fresh: Row[] = [];
    for (let i = 0; i < rows.length; i++) {
      if (stored.has(texts[i]) || seen.has(texts[i])) continue;
      seen.add(texts[i]);
      fresh.push(rows[i]);
    }
    return { rows: fresh, keys: seen };
  }

  /** Of `keys` (as text), those a table of facts holds: only a fingerprint hit asks the table. */
  private async storedIn(table: TableSpec, keys: readonly string[]): Promise<Set<string>> {
    const fingerprints = this.keys.get(table.name)!.fingerprints;
    const candidates = keys.filter((key) => fingerprints.mayHave(key));
    if (candidates.length === 0) return new Set();
    await this.stageKeys(candidates);
    // The table is scanned and probed against the few staged keys, in the column's own type: no hash table of every stored key cast to text.
    const column = quoteIdent(table.key[0]);
    const reader = await this.connection!.runAndReadAll(
      `SELECT DISTINCT CAST(${column} AS VARCHAR) FROM ${quoteIdent(table.name)} WHERE ${column} IN (SELECT TRY_CAST(k AS ${duckdbType(this.keys.get(table.name)!.field)}) FROM temp.main.staging_keys)`,
    );
    await this.emptyStaging("staging_keys");
    return new Set(reader.getRows().map((r) => String(r[0])));
  }

  /** Records a commit's units and watermark (inside its transaction). */
  private async record(progress: Progress): Promise<void> {
    const connection = this.connection!;
    // Each unit once (a redelivered message may be in the batch twice, or committed already): a table made with a key refuses a repeat.
    const units = new Set(progress.units);
    const recorded = await this.unitsIn(progress.pipeline, [...units]);
    for (const unit of recorded) units.delete(unit);
    if (units.size > 0) {
      await this.stageKeys([...units]);
      await connection.run(`INSERT INTO ${UNITS_TABLE} SELECT $pipeline, k, now()::TIMESTAMP FROM temp.main.staging_keys`, { pipeline: progress.pipeline });
      await this.emptyStaging("staging_keys");
    }
    if (Number.isFinite(progress.watermarkMicros)) {
      await connection.run(`INSERT OR REPLACE INTO ${WATERMARKS_TABLE} VALUES ($pipeline, $watermark)`, {
        pipeline: progress.pipeline,
        watermark: BigInt(Math.round(progress.watermarkMicros)),
      });
    }
  }

  private async stageKeys(keys: readonly string[]): Promise<void> {
    const appender = await this.connection!.createAppender("staging_keys", "main", "temp");
    for (const key of keys) {
      appender.appendVarchar(key);
      appender.endRow();
    }
    appender.closeSync();
  }

  /** The staged keys found in `column` of `table`; empties the staging table. */
  private async stagedKeysIn(table: string, column: string, where = "", params: Record<string, string> = {}): Promise<Set<string>> {
    const connection = this.connection!;
    const reader = await connection.runAndReadAll(
      `SELECT k FROM temp.main.staging_keys WHERE k IN (SELECT CAST(${quoteIdent(column)} AS VARCHAR) FROM ${quoteIdent(table)}${where})`,
      params,
    );
    await this.emptyStaging("staging_keys");
    return new Set(reader.getRows().map((r) => String(r[0])));
  }

  committedUnits(pipeline: string, units: readonly string[]): Promise<Set<string>> {
    if (!units.some((unit) => this.units.mayHave(unitKey(pipeline, unit)))) return Promise.resolve(new Set());
    return this.exclusive(() => this.unitsIn(pipeline, units));
  }

  /** Of `units`, those the ledger holds for `pipeline`: only fingerprint hits are looked up. */
  private async unitsIn(pipeline: string, units: readonly string[]): Promise<Set<string>> {
    const candidates = units.filter((unit) => this.units.mayHave(unitKey(pipeline, unit)));
    if (candidates.length === 0) return new Set();
    await this.stageKeys(candidates);
    return this.stagedKeysIn(UNITS_TABLE, "unit", " WHERE pipeline = $pipeline", { pipeline });
  }

  watermark(pipeline: string): Promise<number> {
    return this.exclusive(async () => {
      const reader = await this.connection!.runAndReadAll(`SELECT watermark_micros FROM ${WATERMARKS_TABLE} WHERE pipeline = $pipeline`, { pipeline });
      const rows = reader.getRows();
      return rows.length === 0 ? Number.NEGATIVE_INFINITY : Number(rows[0][0]);
    });
  }

  storedKeys(table: string, keys: readonly string[]): Promise<Set<string>> {
    const spec = this.tables.get(table)!;
    if (keys.length === 0) return Promise.resolve(new Set());
    const facts = this.keys.get(table);
    if (facts !== undefined && !facts.primaryKey) {
      return this.exclusive(async () => {
        const texts = keys.map((key) => keyText(facts.field, key));
        const stored = await this.storedIn(spec, texts);
        return new Set(keys.filter((_, i) => stored.has(texts[i])));
      });
    }
    return this.exclusive(async () => {
      await this.stageKeys(keys);
      return this.stagedKeysIn(table, spec.key[0]);
    });
  }

  rowCount(table: string): Promise<number> {
    return this.exclusive(async () => {
      const reader = await this.connection!.runAndReadAll(`SELECT count(*) FROM ${quoteIdent(table)}`);
      return Number(reader.getRows()[0][0]);
    });
  }

  /**
   * Appends rows to the table's staging copy and moves them in with `clause`;
   * returns rows changed (after the statement `before`, if any). A table of facts without a key index takes new rows
   * as they are (clause ""): they go straight into it, in the transaction.
   */
  private async insert(table: TableSpec, rows: readonly Row[], clause: string, before?: (staging: string) => string): Promise<number> {
    const connection = this.connection!;
    const direct = this.direct.get(table.name);
    if (direct !== undefined && clause === "") {
      const appender = await connection.createAppender(table.name);
      direct.append(appender, rows);
      appender.closeSync();
      return rows.length;
    }
    const staging = `temp.main.${quoteIdent(`staging_${table.name}`)}`;
    const appender = await connection.createAppender(`staging_${table.name}`, "main", "temp");
    this.staging.get(table.name)!.append(appender, rows);
    appender.closeSync();
    if (before !== undefined) await connection.run(before(staging));
    const inserted = await connection.run(`INSERT INTO ${quoteIdent(table.name)} SELECT ${selectFromStagingSql(table)} FROM ${staging} ${clause}`);
    await this.emptyStaging(`staging_${table.name}`);
    return inserted.rowsChanged;
  }

  /**
   * Merges panes with the states stored in `<table>__state` (JSON by key),
   * stores the new states and rewrites the rows they produce. Only keys whose
   * fingerprint the state table holds are read back and deleted first (a
   * fingerprint hit without a state reads nothing); the rest are appended.
   * `apply`, once the transaction is committed, records the new keys.
   */
  private async mergePanes(table: TableSpec, merge: MergeSpec, incoming: ReadonlyMap<string, readonly Row[]>): Promise<{ stored: number; rows: Row[]; apply: () => void }> {
    const connection = this.connection!;
    const fingerprints = this.stateKeys.get(table.name)!;
    const states = quoteIdent(stateTable(table));
    const candidates = [...incoming.keys()].filter((key) => fingerprints.mayHave(key));
    const stored = new Map<string, Row>();
    if (candidates.length > 0) {
      await this.stageKeys(candidates);
      const reader = await connection.runAndReadAll(`SELECT s.key, s.state FROM ${states} s JOIN temp.main.staging_keys k ON s.key = k.k`);
      for (const r of reader.getRows()) stored.set(String(r[0]), JSON.parse(String(r[1])) as Row);
      // The states read are replaced: deleted here, appended below with the new keys'.
      if (stored.size > 0) await connection.run(`DELETE FROM ${states} WHERE key IN (SELECT k FROM temp.main.staging_keys)`);
      await this.emptyStaging("staging_keys");
    }
    const merged = mergeInto(merge, stored, incoming);
    await this.appendStates(stateTable(table), merged.states);
    const rows = [...merged.rows.values()];
    const rewrite = stored.size > 0 ? (rowStaging: string) => deleteStagedKeysSql(quoteIdent(table.name), table.key, rowStaging) : undefined;
    const written = rows.length === 0 ? 0 : await this.insert(table, rows, "", rewrite);
    return { stored: written, rows: rows, apply: () => { for (const key of merged.states.keys()) if (!stored.has(key)) fingerprints.add(key); } };
  }

  /** A connection of its own to the open warehouse, to read while commits go on (the dashboard); close it before the sink. */
  readerConnection(): Promise<DuckDBConnection> {
    if (this.instance === undefined) throw new Error(`warehouse ${this.path} is not open`);
    return this.instance.connect();
  }

  async close(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
  }

  location(): string[] {
    return [`DuckDB warehouse ${this.path}: tables ${[...this.tables.keys()].join(", ")}`];
  }
}
