import { PipelineDefinition, SummaryLine } from "../pipelines/definition";
import { formatCount } from "../pipelines/format";
import { deadLetter } from "../schemas/dead-letter";
import { COUNTERS } from "../transforms/core/parse-records";
import { DirectRunResult } from "../runners/direct/run";

const n = formatCount;

export interface SummaryInput extends DirectRunResult {
  pipeline: PipelineDefinition<unknown>;
  /** How to query the rows, when the sink can be queried. */
  queryHint?: string;
}

/** The end-of-run summary: what was read, what became of it, where it is. */
export function renderSummary(input: SummaryInput): string {
  const { stats } = input;
  const counter = (name: string): number => stats.counters[name] ?? 0;
  const read = counter(COUNTERS.recordsRead), valid = counter(COUNTERS.validRecords), dead = counter(COUNTERS.deadLetters), blank = counter(COUNTERS.blankLines);
  const repeated = counter(COUNTERS.duplicates);
  const seconds = stats.elapsedMs / 1000;
  const rate = seconds > 0 ? read / seconds : 0;
  const unaccounted = read - valid - repeated - dead - blank;
  const accounted = unaccounted === 0 ? "" : `  (MISMATCH: ${n(unaccounted)} unaccounted)`;
  const repeats = repeated > 0 ? ` + ${n(repeated)} duplicates (counted once)` : "";
  const labelled: SummaryLine[] = [
    ["source", input.source],
    ["read", `${n(read)} lines = ${n(valid)} valid${repeats} + ${n(dead)} dead letters + ${n(blank)} blank${accounted}`],
  ];
  if (stats.skippedUnits > 0) labelled.push(["already committed", `${n(stats.skippedUnits)} input units skipped (an earlier run committed their effects)`]);
  // In the pipeline's own table order, not the order commits first wrote them.
  for (const table of input.pipeline.tables.map((t) => t.name)) {
    const written = stats.written.get(table);
    const rows = input.mergedRows.get(table);
    if (rows !== undefined) labelled.push([table, `${n(rows)} rows${written ? ` (${n(written.stored)} written this run)` : ""}`]);
    else if (table !== deadLetter.name && written !== undefined) {
      labelled.push([table, `${n(written.stored)} rows stored${written.duplicates > 0 ? `, ${n(written.duplicates)} already there (same key)` : ""}`]);
    }
  }
  const reasons = input.deadLetters.reasons();
  labelled.push(["dead letters", `${n(dead)}${reasons.length > 0 ? ` (${reasons.join(", ")})` : ""}`]);
  labelled.push(...input.report.render(stats.counters));
  for (const damage of input.unread) labelled.push(["not read", damage]);
  for (const where of input.location) labelled.push(["rows in", where]);
  if (input.queryHint) labelled.push(["try", input.queryHint]);
  const width = Math.max(...labelled.map((line) => line[0].length));
  const lines = [
    `${input.pipeline.name}: ${stats.interrupted ? "interrupted, committed what was read" : "done"} in ${seconds.toFixed(1)} s, ${n(rate)} records/s (${input.runner})`,
    ...labelled.map((line) => `  ${line[0].padEnd(width)}  ${line[1]}`),
  ];
  return lines.join("\n");
}
