import { PaneInfo } from "apache-beam/values";
import { MergeSpec, MergeSpecs } from "../../io/sinks/merge";
import { Row } from "../../schemas/table";
import { registerModule } from "../../transforms/core/registry";
import * as state from "./captured";

/**
 * A local sink (DuckDB, JSONL, stdout) behind a portable runner whose
 * TypeScript workers run in this process (LOOPBACK): a DoFn hands each
 * table's rows to `captured`, and the driver writes them with the same sink
 * code as the direct runner. Merged tables receive accumulating panes: each
 * firing of a (window, key) holds everything seen for it so far, so the sink
 * keeps the latest pane per key (`latestPane`), where the direct runner
 * merges the partial panes of its bundles.
 */

/** Which pane of a key is newer: the job it came from (its start time), then Beam's pane index. */
interface PaneOrder extends Row {
  pane_job: number;
  pane_index: number;
}

const newer = (a: Row, b: Row): boolean => {
  const x = a as PaneOrder, y = b as PaneOrder;
  return x.pane_job > y.pane_job || (x.pane_job === y.pane_job && x.pane_index > y.pane_index);
};

/** Merges by keeping the newest pane: an accumulating pane replaces the ones before it. */
export const latestPane = (spec: MergeSpec): MergeSpec => ({
  merge: (panes) => panes.reduce((kept, pane) => (newer(pane, kept) ? pane : kept)),
  output: (state) => spec.output(state),
});

export const latestPanes = (merges: MergeSpecs = new Map()): MergeSpecs => new Map([...merges].map(([table, spec]) => [table, latestPane(spec)] as const));

/** DoFn: a batch of a table's rows (panes of a merged table, stamped with their order) into `captured`. */
export function captureRows(rows: Row[], context: { table: string; merged: boolean; job: number; pane: { lookup(): PaneInfo } }): number {
  const out = state.captured.tables.get(context.table) ?? [];
  if (context.merged) {
    const index = context.pane.lookup().index;
    for (const row of rows) out.push({ ...row, pane_job: context.job, pane_index: index });
  } else {
    for (const row of rows) out.push(row);
  }
  state.captured.tables.set(context.table, out);
  return rows.length;
}

/** Takes every captured row, by table, leaving `captured` empty. */
export function takeCaptured(): Map<string, Row[]> {
  const taken = state.captured.tables;
  state.captured.tables = new Map();
  return taken;
}

registerModule("runners/portable/captured", state as unknown as Record<string, unknown>);
registerModule("runners/portable/local-sink", module.exports);
