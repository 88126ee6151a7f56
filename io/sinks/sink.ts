import { Row, TableSpec } from "../../schemas/table";
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
 * Where results go. `write` resolves only once the rows are durable: the runner
 * acknowledges the input of a batch after that, never before.
 */
export interface Sink {
  /** Prepares the tables; those in `merges` receive panes to merge, not rows (see merge.ts). */
  open(tables: readonly TableSpec[], merges?: MergeSpecs): Promise<void>;
  write(batch: TableBatch): Promise<WriteResult>;
  close(): Promise<void>;
  /** For the summary: where the rows are and how to look at them. */
  location(): string[];
}

/** The sink cannot be used (a locked or incompatible warehouse, an unwritable directory). */
export class SinkError extends Error {}
