import { MergeSpec } from "../../io/sinks/merge";
import { FieldSpec, FieldType, TableSpec } from "../../schemas/table";

/** A column of a test table, without a description. */
export const column = (name: string, type: FieldType, mode: FieldSpec["mode"] = "NULLABLE", fields?: FieldSpec[]): FieldSpec => ({ name, type, mode, description: "", ...(fields ? { fields } : {}) });

/** A test table keyed by its first column: no description, partitioning or clustering. */
export const testTable = (name: string, fields: FieldSpec[]): TableSpec => ({ name, description: "", fields, key: [fields[0].name], partitionField: "", clustering: [] });

/** A merged table for the sinks' tests: one total per key. */
export const totals = testTable("totals", [column("k", "STRING", "REQUIRED"), column("n", "INT64", "REQUIRED")]);

/** Sums n per key, as the views' tallies do: a pane lost or merged twice shows in the total. */
export const summing: MergeSpec = { merge: (panes) => ({ k: panes[0].k, n: panes.reduce((t, p) => t + (p.n as number), 0) }), output: (state) => ({ k: state.k, n: state.n }) };

/** A commit's progress in the ledger: its input units, no watermark, a checkpoint unless said otherwise. */
export const progress = (units: string[], checkpoint = true) => ({ pipeline: "p", units, watermarkMicros: Number.NEGATIVE_INFINITY, checkpoint });
