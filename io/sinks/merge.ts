import { rowKey } from "../../schemas/json";
import { Row, TableSpec } from "../../schemas/table";

/**
 * A table whose rows are computed by a CombineFn: what the pipeline writes to
 * it are panes (accumulators, one per key and batch), which a sink merges
 * with the state it already holds for the key, then extracts the row from.
 * Micro-batches and re-runs therefore converge to the one-batch result.
 */
export interface MergeSpec {
  /** Merges panes of one key, in any order (the CombineFn's mergeAccumulators). */
  merge(panes: readonly Row[]): Row;
  /** The table row of a merged state, or null while it has none (extractOutput). */
  output(state: Row): Row | null;
}

export type MergeSpecs = ReadonlyMap<string, MergeSpec>;

/** Panes grouped by key, in arrival order. */
export function panesByKey(table: TableSpec, panes: readonly Row[]): Map<string, Row[]> {
  const byKey = new Map<string, Row[]>();
  for (const pane of panes) {
    const key = rowKey(table, pane);
    const list = byKey.get(key);
    if (list) list.push(pane);
    else byKey.set(key, [pane]);
  }
  return byKey;
}

/**
 * Merges incoming panes into stored states. Returns the new state of every
 * key touched and, by key, the rows to (re)write: the keys whose merged state
 * has an output.
 */
export function mergeInto(spec: MergeSpec, stored: ReadonlyMap<string, Row>, incoming: ReadonlyMap<string, readonly Row[]>): { states: Map<string, Row>; rows: Map<string, Row> } {
  const states = new Map<string, Row>();
  const rows = new Map<string, Row>();
  for (const [key, panes] of incoming) {
    const before = stored.get(key);
    const state = spec.merge(before === undefined ? panes : [before, ...panes]);
    states.set(key, state);
    const row = spec.output(state);
    if (row !== null) rows.set(key, row);
  }
  return { states, rows };
}
