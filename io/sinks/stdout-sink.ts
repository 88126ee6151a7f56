import { toJsonRow } from "../../schemas/json";
import { Row, TableSpec } from "../../schemas/table";
import { MergeSpec, MergeSpecs, mergeInto, panesByKey } from "./merge";
import { Sink, TableBatch, WriteResult } from "./sink";

/**
 * Every row as a JSON line on stdout, tagged with its table: for piping into
 * jq or another tool. A merged table's row is printed again each time it
 * changes (its states are kept for the run).
 */
export class StdoutSink implements Sink {
  private readonly tables = new Map<string, TableSpec>();
  private readonly merges = new Map<string, { merge: MergeSpec; states: Map<string, Row> }>();

  async open(tables: readonly TableSpec[], merges: MergeSpecs = new Map()): Promise<void> {
    for (const table of tables) this.tables.set(table.name, table);
    for (const [name, merge] of merges) this.merges.set(name, { merge, states: new Map() });
  }

  async write(batch: TableBatch): Promise<WriteResult> {
    const result: WriteResult = new Map();
    const lines: string[] = [];
    for (const [name, panes] of batch) {
      const spec = this.tables.get(name)!;
      const merged = this.merges.get(name);
      let rows = panes;
      if (merged) {
        const outcome = mergeInto(merged.merge, merged.states, panesByKey(spec, panes));
        for (const [key, state] of outcome.states) merged.states.set(key, state);
        rows = [...outcome.rows.values()];
      }
      for (const row of rows) lines.push(JSON.stringify({ table: name, ...toJsonRow(spec, row) }));
      result.set(name, { stored: rows.length, duplicates: 0, rows: merged ? rows : undefined });
    }
    if (lines.length > 0 && !process.stdout.write(lines.join("\n") + "\n")) {
      await new Promise((resolve) => process.stdout.once("drain", resolve));
    }
    return result;
  }

  async close(): Promise<void> {}

  location(): string[] {
    return ["stdout (one JSON object per row, with a \"table\" field)"];
  }
}
