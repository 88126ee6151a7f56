import { Row, TableSpec } from "../../schemas/table";
import { ViewSpec } from "../../schemas/views";
import { MergeSpecs } from "./merge";

/** One commit's worth of rows, by table name. */
export type TableBatch = ReadonlyMap<string, readonly Row[]>;

/**
 * Per table: rows stored by this write, and rows skipped because their key
 * was already stored. For a merged table, `stored` counts rows written or
 * updated, and `rows` are those rows: what its merged states read now, which
 * the run's observers see instead of the panes.
 */
export type WriteResult = Map<string, { stored: number; duplicates: number; rows?: readonly Row[] }>;

/**
 * What a commit consumed, recorded with its rows in the same transaction:
 * the input units (a file chunk's identity, Pub/Sub message ids) whose
 * effects it holds, and the watermark after it. A unit already recorded is
 * never executed again, so re-runs, crashes and redeliveries change nothing.
 */
export interface Progress {
  readonly pipeline: string;
  readonly units: readonly string[];
  /** Epoch microseconds; -Infinity for bounded input (not recorded). */
  readonly watermarkMicros: number;
  /**
   * False when the sink may keep merged tables' new panes in a changelog
   * instead of rewriting their states and rows (DuckDB); they are as durable
   * either way. A checkpoint (true, or no progress at all) brings every
   * merged table's rows up to date.
   */
  readonly checkpoint?: boolean;
}

/**
 * Where results go. `write` resolves only once the rows are durable: the runner
 * acknowledges the input of a batch after that, never before.
 */
export interface Sink {
  /** Prepares the tables; those in `merges` receive panes to merge, not rows (see merge.ts); `views` over them, where the sink can query. */
  open(tables: readonly TableSpec[], merges?: MergeSpecs, views?: readonly ViewSpec[]): Promise<void>;
  write(batch: TableBatch, progress?: Progress): Promise<WriteResult>;
  close(): Promise<void>;
  /** For the summary: where the rows are and how to look at them. */
  location(): string[];
  /**
   * Exactly-once support, for sinks that keep a ledger of committed input
   * (DuckDB, JSONL); without it, a sink gives at-least-once with keyed rows.
   */
  readonly ledger?: Ledger;
}

/** A sink's record of committed input, read before input is executed. */
export interface Ledger {
  /** Of `units`, those an earlier commit of `pipeline` recorded. */
  committedUnits(pipeline: string, units: readonly string[]): Promise<Set<string>>;
  /** The watermark the last commit of `pipeline` recorded, or -Infinity. */
  watermark(pipeline: string): Promise<number>;
  /** Of `keys`, those already stored in `table` (a table with a one-column key). */
  storedKeys(table: string, keys: readonly string[]): Promise<Set<string>>;
  /** Rows in `table` now. */
  rowCount(table: string): Promise<number>;
}

/** How long committed units are remembered: Pub/Sub's retention, after which no message can be redelivered. */
export const LEDGER_RETENTION_DAYS = 7;

/** The sink cannot be used (a locked or incompatible warehouse, an unwritable directory). */
export class SinkError extends Error {}
