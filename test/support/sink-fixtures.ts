import { MergeSpec } from "../../io/sinks/merge";
import { TableSpec } from "../../schemas/table";

/** A merged table for the sinks' tests: one total per key. */
export const totals: TableSpec = {
  name: "totals",
  description: "",
  fields: [
    { name: "k", type: "STRING", mode: "REQUIRED", description: "" },
    { name: "n", type: "INT64", mode: "REQUIRED", description: "" },
  ],
  key: ["k"],
  partitionField: "",
  clustering: [],
};

/** Sums n per key, as the views' tallies do: a pane lost or merged twice shows in the total. */
export const summing: MergeSpec = { merge: (panes) => ({ k: panes[0].k, n: panes.reduce((t, p) => t + (p.n as number), 0) }), output: (state) => ({ k: state.k, n: state.n }) };

/** A commit's progress in the ledger: its input units, no watermark, a checkpoint unless said otherwise. */
export const progress = (units: string[], checkpoint = true) => ({ pipeline: "p", units, watermarkMicros: Number.NEGATIVE_INFINITY, checkpoint });
