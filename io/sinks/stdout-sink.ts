import { toJsonRow } from "../../schemas/json";
import { TableSpec } from "../../schemas/table";
import { Sink, TableBatch, WriteResult } from "./sink";

/** Every row as a JSON line on stdout, tagged with its table: for piping into jq or another tool. */
export class StdoutSink implements Sink {
  private readonly tables = new Map<string, TableSpec>();

  async open(tables: readonly TableSpec[]): Promise<void> {
    for (const table of tables) this.tables.set(table.name, table);
  }

  async write(batch: TableBatch): Promise<WriteResult> {
    const result: WriteResult = new Map();
    const lines: string[] = [];
    for (const [name, rows] of batch) {
      const spec = this.tables.get(name)!;
      for (const row of rows) lines.push(JSON.stringify({ table: name, ...toJsonRow(spec, row) }));
      result.set(name, { stored: rows.length, duplicates: 0 });
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
