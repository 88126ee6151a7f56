import { registerModule } from "./registry";

/** Sorted union of two sorted arrays of distinct values (numbers or strings); returns an input when the other is empty. */
export function sortedUnion<T extends number | string>(a: readonly T[], b: readonly T[]): readonly T[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: T[] = [];
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) out.push(a[i++]);
    else if (b[j] < a[i]) out.push(b[j++]);
    else (out.push(a[i]), i++, j++);
  }
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

registerModule("transforms/core/sorted", module.exports);
