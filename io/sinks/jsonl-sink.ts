import { createReadStream, existsSync } from "fs";
import { appendFile, mkdir, writeFile } from "fs/promises";
import { join } from "path";
import { createInterface } from "readline";
import { rowKey, toJsonRow } from "../../schemas/json";
import { Row, TableSpec } from "../../schemas/table";
import { MergeSpec, MergeSpecs, mergeInto, panesByKey } from "./merge";
import { Sink, SinkError, TableBatch, WriteResult } from "./sink";

export const DEFAULT_OUTPUT_DIR = ".warehouse/jsonl";

/** The JSON objects of a JSONL file the sink wrote; a line that is not one stops the run with its place. */
async function* objectsIn<T>(path: string): AsyncGenerator<T> {
  if (!existsSync(path)) return;
  let lineNo = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === "") continue;
    try {
      yield JSON.parse(line) as T;
    } catch {
      throw new SinkError(`${path}:${lineNo} is not a JSON line this sink wrote: fix or move the file, or use another --outputDir`);
    }
  }
}

/** Keys already in a JSONL file, read at open so re-runs stay idempotent. */
async function keysIn(path: string, table: TableSpec): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const row of objectsIn<Row>(path)) keys.add(rowKey(table, row));
  return keys;
}

/** States of a merged table, from its `<table>.state.jsonl`. */
async function statesIn(path: string): Promise<Map<string, Row>> {
  const states = new Map<string, Row>();
  for await (const entry of objectsIn<{ key: string; state: Row }>(path)) states.set(entry.key, entry.state);
  return states;
}

interface MergedFile {
  spec: TableSpec;
  merge: MergeSpec;
  path: string;
  statePath: string;
  states: Map<string, Row>;
}

/**
 * One `<table>.jsonl` file per table in a directory, appended to. Rows are
 * keyed like the warehouse's: a key already in the file is not written again.
 * A merged table keeps its states in `<table>.state.jsonl` and both files are
 * rewritten whole when the sink closes.
 */
export class JsonlSink implements Sink {
  private readonly tables = new Map<string, { spec: TableSpec; path: string; keys: Set<string> }>();
  private readonly merged = new Map<string, MergedFile>();

  constructor(readonly directory: string) {}

  async open(tables: readonly TableSpec[], merges: MergeSpecs = new Map()): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    for (const spec of tables) {
      const path = join(this.directory, `${spec.name}.jsonl`);
      const merge = merges.get(spec.name);
      if (merge) {
        const statePath = join(this.directory, `${spec.name}.state.jsonl`);
        this.merged.set(spec.name, { spec, merge, path, statePath, states: await statesIn(statePath) });
      } else {
        this.tables.set(spec.name, { spec, path, keys: await keysIn(path, spec) });
      }
    }
  }

  async write(batch: TableBatch): Promise<WriteResult> {
    const result: WriteResult = new Map();
    for (const [name, rows] of batch) {
      const merged = this.merged.get(name);
      if (merged) {
        const outcome = mergeInto(merged.merge, merged.states, panesByKey(merged.spec, rows));
        for (const [key, state] of outcome.states) merged.states.set(key, state);
        result.set(name, { stored: outcome.rows.size, duplicates: 0, rows: [...outcome.rows.values()] });
        continue;
      }
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

  async close(): Promise<void> {
    for (const m of this.merged.values()) {
      const rows: string[] = [];
      const states: string[] = [];
      for (const [key, state] of m.states) {
        states.push(JSON.stringify({ key, state }));
        const row = m.merge.output(state);
        if (row !== null) rows.push(JSON.stringify(toJsonRow(m.spec, row)));
      }
      await writeFile(m.path, rows.map((r) => `${r}\n`).join(""));
      await writeFile(m.statePath, states.map((r) => `${r}\n`).join(""));
    }
  }

  location(): string[] {
    return [...this.tables.values(), ...this.merged.values()].map((t) => `JSONL ${t.path}`);
  }
}
