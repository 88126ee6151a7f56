import { registerModule } from "../core/registry";

/** What the OTT views take from the catalog for one title (a `title_basics` row). */
export interface CatalogTitle {
  readonly tconst: string;
  /** `primaryTitle`. */
  readonly title: string | null;
  /** The first of `genres` (IMDb lists up to three, alphabetically); an event has one genre. */
  readonly genre: string | null;
}

/**
 * The catalog's titles as one side-input element: its version (the number of
 * titles and a hash of the text, so equal catalogs have equal versions), and
 * the titles as text, one `tconst TAB title TAB genre` line each, sorted by
 * tconst, `\N` for null as in IMDb's files. Text, not an array of objects:
 * the SDK's general coder codes 20,000 title objects in about 370 ms and the
 * same titles as one string in about 3 ms, and the direct runner codes a
 * side input at every bundle (docs/catalog.md).
 */
export type CatalogSnapshot = readonly [version: string, titles: string];

/** No titles: what a side input reads when the runner's catalog read found none. */
export const EMPTY_CATALOG: CatalogSnapshot = ["0-811c9dc5", ""];

const NULL = "\\N";

/** A title_basics row's part the views use (`genres` is an array; empty when IMDb wrote `\N`). */
export function catalogTitleOf(row: { tconst: string; primaryTitle?: string | null; genres?: readonly string[] | null }): CatalogTitle {
  return { tconst: row.tconst, title: row.primaryTitle ?? null, genre: row.genres?.[0] ?? null };
}

/** A value as one field of a line: tabs and line breaks (which IMDb's files never have) become spaces. */
const field = (value: string | null): string => (value === null ? NULL : value.replace(/[\t\r\n]/g, " "));

/** FNV-1a, 32 bits: a cheap fingerprint of the text, for the version. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16);
}

/** The snapshot of some titles; a repeated tconst keeps its first title. */
export function catalogSnapshot(titles: Iterable<CatalogTitle>): CatalogSnapshot {
  const byId = new Map<string, CatalogTitle>();
  for (const t of titles) if (!byId.has(t.tconst)) byId.set(t.tconst, t);
  const ids = [...byId.keys()].sort();
  const text = ids.map((id) => `${field(id)}\t${field(byId.get(id)!.title)}\t${field(byId.get(id)!.genre)}`).join("\n");
  return [`${ids.length}-${fnv1a(text)}`, text];
}

const valueOf = (text: string): string | null => (text === NULL ? null : text);

function parseTitles(text: string): Map<string, CatalogTitle> {
  const titles = new Map<string, CatalogTitle>();
  if (text === "") return titles;
  for (const line of text.split("\n")) {
    const tab = line.indexOf("\t");
    const tab2 = line.indexOf("\t", tab + 1);
    const tconst = line.slice(0, tab);
    titles.set(tconst, { tconst, title: valueOf(line.slice(tab + 1, tab2)), genre: valueOf(line.slice(tab2 + 1)) });
  }
  return titles;
}

/** The last snapshot read in this process, parsed: a worker reads the same version at every bundle until the catalog changes. */
const parsed = { version: "", titles: new Map<string, CatalogTitle>() };

/** The snapshot's titles by tconst. */
export function catalogTitles(snapshot: CatalogSnapshot): ReadonlyMap<string, CatalogTitle> {
  if (parsed.version !== snapshot[0]) {
    parsed.titles = parseTitles(snapshot[1]);
    parsed.version = snapshot[0];
  }
  return parsed.titles;
}

registerModule("transforms/catalog/titles", module.exports);
