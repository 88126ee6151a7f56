import { createReadStream, existsSync } from "fs";
import { appendFile, mkdir, open, rename, stat, truncate, writeFile } from "fs/promises";
import { join } from "path";
import { createInterface } from "readline";
import { rowKey, toJsonRow } from "../../schemas/json";
import { Row, TableSpec } from "../../schemas/table";
import { MergeSpec, MergeSpecs, mergeInto, panesByKey } from "./merge";
import { Ledger, LEDGER_RETENTION_DAYS, Progress, Sink, SinkError, TableBatch, WriteResult } from "./sink";

export const DEFAULT_OUTPUT_DIR = ".warehouse/jsonl";

/** The journal of commits, beside the table files (see JsonlSink). */
const JOURNAL = "_commits.jsonl";

/** One commit, as one journal line: written whole or (torn by a crash) ignored. */
interface CommitEntry {
  pipeline: string;
  /** Epoch milliseconds of the commit, for the ledger's retention. */
  at: number;
  units: string[];
  watermark?: number;
  /** Byte length of every table file once this commit's rows were appended. */
  lengths: Record<string, number>;
  /** New states of the merged tables' keys this commit touched. */
  states: Record<string, [string, Row][]>;
}

/** The JSON lines of a file the sink wrote. A line that is not JSON stops the run with its place. */
async function* objectsIn<T>(path: string): AsyncGenerator<T> {
  if (!existsSync(path)) return;
  let lineNo = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === "") continue;
    let value: T;
    try {
      value = JSON.parse(line) as T;
    } catch {
      throw new SinkError(`${path}:${lineNo} is not a JSON line this sink wrote: fix or move the file, or use another --outputDir`);
    }
    yield value;
  }
}

/** Keys already in a JSONL file, read at open so re-runs stay idempotent. */
async function keysIn(path: string, table: TableSpec): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const row of objectsIn<Row>(path)) keys.add(rowKey(table, row));
  return keys;
}

interface MergedFile {
  spec: TableSpec;
  merge: MergeSpec;
  path: string;
  states: Map<string, Row>;
}

/**
 * One `<table>.jsonl` file per table in a directory, appended to. Rows are
 * keyed like the warehouse's: a key already in the file is not written again.
 * Every commit appends one line to `_commits.jsonl`: its input units, its
 * watermark, the length of every table file after it, and the merged
 * tables' new states. That line is the commit: at open, a line a crash cut
 * short is cut off, table files are cut back to the lengths the last whole
 * line recorded (rows a crash left behind an unfinished commit; none
 * recorded: empty), and merged states are read from the journal. Merged
 * tables' row files are rewritten from their states when the sink closes,
 * and the journal is compacted to one line.
 */
export class JsonlSink implements Sink, Ledger {
  readonly ledger: Ledger = this;
  private readonly tables = new Map<string, { spec: TableSpec; path: string; keys: Set<string> }>();
  private readonly merged = new Map<string, MergedFile>();
  private readonly units = new Map<string, Map<string, number>>();
  private readonly watermarks = new Map<string, number>();
  private lengths: Record<string, number> = {};
  private readonly journalStates = new Map<string, Map<string, Row>>();

  constructor(readonly directory: string) {}

  private get journal(): string {
    return join(this.directory, JOURNAL);
  }

  async open(tables: readonly TableSpec[], merges: MergeSpecs = new Map()): Promise<void> {
    try {
      await mkdir(this.directory, { recursive: true });
    } catch (error) {
      throw new SinkError(`cannot use --outputDir ${this.directory}: ${(error as Error).message}`);
    }
    // A journal that exists marks the directory as this sink's: a table length it never recorded is 0 (rows a crash left before the first commit).
    const ours = existsSync(this.journal);
    await this.cutTornTail();
    await this.replayJournal();
    await (await open(this.journal, "a")).close();
    for (const spec of tables) {
      const path = join(this.directory, `${spec.name}.jsonl`);
      const merge = merges.get(spec.name);
      if (merge) {
        this.merged.set(spec.name, { spec, merge, path, states: this.journalStates.get(spec.name) ?? new Map() });
        continue;
      }
      const committed = this.lengths[path] ?? (ours ? 0 : undefined);
      if (committed !== undefined && existsSync(path) && (await stat(path)).size > committed) await truncate(path, committed);
      this.tables.set(spec.name, { spec, path, keys: await keysIn(path, spec) });
    }
    // Rows from before the journal (an earlier version's directory) are kept as committed: a line records their lengths.
    if (!ours && [...this.tables.values()].some((t) => existsSync(t.path))) await this.commit(undefined, {});
  }

  /**
   * Cuts a journal line a crash left unfinished (no newline: the write of
   * JSON and newline stopped part-way). Left there, the next commit's line
   * would be appended to it and read as torn too: that commit lost while its
   * rows and counted-once keys stay.
   */
  private async cutTornTail(): Promise<void> {
    if (!existsSync(this.journal)) return;
    const file = await open(this.journal, "r+");
    try {
      const size = (await file.stat()).size;
      const block = Buffer.alloc(1 << 16);
      let end = size;
      while (end > 0) {
        const start = Math.max(0, end - block.length);
        const { bytesRead } = await file.read(block, 0, end - start, start);
        const newline = block.subarray(0, bytesRead).lastIndexOf(10);
        if (newline !== -1) {
          end = start + newline + 1;
          break;
        }
        end = start;
      }
      if (end < size) await file.truncate(end);
    } finally {
      await file.close();
    }
  }

  /** Reads the journal: units and watermarks per pipeline, the last committed file lengths, the merged states. */
  private async replayJournal(): Promise<void> {
    const horizon = Date.now() - LEDGER_RETENTION_DAYS * 86_400_000;
    for await (const entry of objectsIn<CommitEntry>(this.journal)) {
      let units = this.units.get(entry.pipeline);
      if (units === undefined) this.units.set(entry.pipeline, (units = new Map()));
      if (entry.at >= horizon) for (const unit of entry.units) units.set(unit, entry.at);
      if (entry.watermark !== undefined) this.watermarks.set(entry.pipeline, entry.watermark);
      this.lengths = { ...this.lengths, ...entry.lengths };
      for (const [table, states] of Object.entries(entry.states)) {
        let byKey = this.journalStates.get(table);
        if (byKey === undefined) this.journalStates.set(table, (byKey = new Map()));
        for (const [key, state] of states) byKey.set(key, state);
      }
    }
  }

  async write(batch: TableBatch, progress?: Progress): Promise<WriteResult> {
    const result: WriteResult = new Map();
    const states: Record<string, [string, Row][]> = {};
    for (const [name, rows] of batch) {
      const merged = this.merged.get(name);
      if (merged) {
        const outcome = mergeInto(merged.merge, merged.states, panesByKey(merged.spec, rows));
        for (const [key, state] of outcome.states) merged.states.set(key, state);
        states[name] = [...outcome.states];
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
    await this.commit(progress, states);
    return result;
  }

  /** Appends the commit's journal line and makes it durable. */
  private async commit(progress: Progress | undefined, states: Record<string, [string, Row][]>): Promise<void> {
    for (const table of this.tables.values()) this.lengths[table.path] = existsSync(table.path) ? (await stat(table.path)).size : 0;
    const at = Date.now();
    const pipeline = progress?.pipeline ?? "";
    const entry: CommitEntry = { pipeline, at, units: [...(progress?.units ?? [])], lengths: this.lengths, states };
    if (progress && Number.isFinite(progress.watermarkMicros)) {
      entry.watermark = progress.watermarkMicros;
      this.watermarks.set(pipeline, progress.watermarkMicros);
    }
    let units = this.units.get(pipeline);
    if (units === undefined) this.units.set(pipeline, (units = new Map()));
    for (const unit of entry.units) units.set(unit, at);
    const file = await open(this.journal, "a");
    try {
      await file.write(JSON.stringify(entry) + "\n");
      await file.datasync();
    } finally {
      await file.close();
    }
  }

  async committedUnits(pipeline: string, units: readonly string[]): Promise<Set<string>> {
    const known = this.units.get(pipeline);
    return new Set(known === undefined ? [] : units.filter((u) => known.has(u)));
  }

  async watermark(pipeline: string): Promise<number> {
    return this.watermarks.get(pipeline) ?? Number.NEGATIVE_INFINITY;
  }

  async storedKeys(table: string, keys: readonly string[]): Promise<Set<string>> {
    const stored = this.tables.get(table)!.keys;
    return new Set(keys.filter((k) => stored.has(k)));
  }

  async rowCount(table: string): Promise<number> {
    const merged = this.merged.get(table);
    if (merged === undefined) return this.tables.get(table)!.keys.size;
    let rows = 0;
    for (const state of merged.states.values()) if (merged.merge.output(state) !== null) rows++;
    return rows;
  }

  async close(): Promise<void> {
    const states: Record<string, [string, Row][]> = {};
    for (const m of this.merged.values()) {
      const rows: string[] = [];
      for (const state of m.states.values()) {
        const row = m.merge.output(state);
        if (row !== null) rows.push(JSON.stringify(toJsonRow(m.spec, row)));
      }
      await writeFile(m.path, rows.map((r) => `${r}\n`).join(""));
      states[m.spec.name] = [...m.states];
    }
    for (const [table, byKey] of this.journalStates) if (!this.merged.has(table)) states[table] = [...byKey];
    // One line per pipeline and day of commit keeps the units (so retention still applies) and the watermark;
    // the first line also carries the file lengths and every state.
    const lines: CommitEntry[] = [];
    for (const [pipeline, units] of this.units) {
      const byDay = new Map<number, string[]>();
      for (const [unit, at] of units) {
        const day = at - (at % 86_400_000);
        if (!byDay.has(day)) byDay.set(day, []);
        byDay.get(day)!.push(unit);
      }
      if (byDay.size === 0) byDay.set(Date.now(), []);
      for (const [day, dayUnits] of byDay) {
        const first = lines.length === 0;
        const entry: CommitEntry = { pipeline, at: day, units: dayUnits, lengths: first ? this.lengths : {}, states: first ? states : {} };
        const watermark = this.watermarks.get(pipeline);
        if (watermark !== undefined) entry.watermark = watermark;
        lines.push(entry);
      }
    }
    const compacted = `${this.journal}.compacting`;
    await writeFile(compacted, lines.map((l) => JSON.stringify(l) + "\n").join(""));
    await rename(compacted, this.journal);
  }

  location(): string[] {
    return [...this.tables.values(), ...this.merged.values()].map((t) => `JSONL ${t.path}`);
  }
}
