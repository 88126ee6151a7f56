import { createReadStream, existsSync } from "fs";
import { appendFile, mkdir } from "fs/promises";
import { join } from "path";
import { createInterface } from "readline";
import { rowKey, toJsonRow } from "../../schemas/json";
import { Row, TableSpec } from "../../schemas/table";
import { Sink, TableBatch, WriteResult } from "./sink";

export const DEFAULT_OUTPUT_DIR = ".warehouse/jsonl";

/** Keys already in a JSONL file, read at open so re-runs stay idempotent. */
async function keysIn(path: string, table: TableSpec): Promise<Set<string>> {
  const keys = new Set<string>();
  if (!existsSync(path)) return keys;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line.trim() !== "") keys.add(rowKey(table, JSON.parse(line) as Row));
  }
  return keys;
}

/**
 * One `<table>.jsonl` file per table in a directory, appended to. Rows are
 * keyed like the warehouse's: a key already in the file is not written again.
 */
export class JsonlSink implements Sink {
  private readonly tables = new Map<string, { spec: TableSpec; path: string; keys: Set<string> }>();

  constructor(readonly directory: string) {}

  async open(tables: readonly TableSpec[]): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    for (const spec of tables) {
      const path = join(this.directory, `${spec.name}.jsonl`);
      this.tables.set(spec.name, { spec, path, keys: await keysIn(path, spec) });
    }
  }

  async write(batch: TableBatch): Promise<WriteResult> {
    const result: WriteResult = new Map();
    for (const [name, rows] of batch) {
      const table = this.tables.get(name)!;
      const lines: string[] = [];
      for (const row of rows) {
        const key = rowKey(table.spec, row);
        if (table.keys.has(key)) continue;
        table.keys.add(key);
        lines.push(JSON.stringify(toJsonRow(table.spec, row)));
      }
      if (lines.length > 0) await appendFile(table.path, lines.join("\n") + "\n");
      result.set(name, { stored: lines.length, duplicates: rows.length - lines.length });
    }
    return result;
  }

  async close(): Promise<void> {}

  location(): string[] {
    return [...this.tables.values()].map((t) => `JSONL ${t.path}`);
  }
}
