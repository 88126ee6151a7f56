/**
 * The result check of a benchmark: every run that computes the same thing
 * must report the same counts as the reference run (our pipeline). A run
 * that does not report a count (DuckDB writes no dead letters) is not held
 * to it.
 */
export function mismatches(reference: Readonly<Record<string, number>>, runs: readonly { label: string; counts?: Readonly<Record<string, number>> }[]): string[] {
  const found: string[] = [];
  for (const run of runs) {
    for (const [name, value] of Object.entries(run.counts ?? {})) {
      if (name in reference && reference[name] !== value) found.push(`${run.label}: ${name} ${value}, expected ${reference[name]}`);
    }
  }
  return found;
}

/** Counts as a table cell: "rows 1,234 / dead_letters 5". */
export function showCounts(counts: Readonly<Record<string, number>> | undefined, names: readonly string[]): string {
  if (counts === undefined) return "";
  return names.filter((n) => n in counts).map((n) => `${n} ${counts[n].toLocaleString("en-US")}`).join(" / ");
}
