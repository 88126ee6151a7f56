import { Random } from "./random";
import { TITLES } from "./ott";
import { headerOf } from "../transforms/catalog/imdb";

/**
 * A catalog in IMDb's exact layout (header, tabs, `\N`), deterministic for a
 * seed: first the 20 titles the OTT generator plays, under their content_id
 * (`title_001`, ...) so the OTT views and the catalog join, then `titles`
 * filler titles with IMDb-style ids. About one line in 500 is broken the ways
 * real files break (a column missing, a stray value), and `\N` appears
 * wherever IMDb writes it.
 */

/** IMDb's titleType for the OTT generator's kinds. */
const TITLE_TYPES: Record<string, string> = { movie: "movie", series_episode: "tvEpisode", documentary: "movie", special: "tvSpecial" };
const FILLER_TYPES: readonly (readonly [string, number])[] = [["movie", 30], ["short", 10], ["tvEpisode", 40], ["tvSeries", 8], ["video", 5], ["tvMovie", 7]];
const GENRES = ["Action", "Adventure", "Animation", "Biography", "Comedy", "Crime", "Documentary", "Drama", "Family", "Fantasy", "History", "Horror", "Music", "Mystery", "Romance", "Sci-Fi", "Sport", "Thriller", "War", "Western"];
const WORDS = ["Night", "River", "Last", "Road", "Silent", "Crown", "Winter", "Echo", "Garden", "Storm", "Hidden", "City", "Blue", "Iron", "Letters", "Harbor", "Golden", "Shadow", "Summer", "Line"];


/** Titles of the OTT generator that have no rating, so the catalog has titles with and without one. */
const UNRATED = new Set(["title_012", "title_019"]);

export interface CatalogSampleOptions {
  seed: number;
  /** Filler titles after the OTT generator's 20. */
  titles: number;
  /** One line in this many is broken (0: none). */
  brokenEvery?: number;
}

interface Title {
  basics: string;
  rating?: string;
}

function fillerTitle(r: Random, n: number): Title {
  const type = r.weighted(FILLER_TYPES);
  const name = `${r.pick(WORDS)} ${r.pick(WORDS)}${r.float() < 0.3 ? ` ${r.int(2, 9)}` : ""}`;
  const start = r.float() < 0.03 ? "\\N" : String(r.int(1920, 2025));
  const end = type === "tvSeries" && start !== "\\N" && r.float() < 0.6 ? String(Number(start) + r.int(0, 12)) : "\\N";
  const minutes = r.float() < 0.25 ? "\\N" : String(type === "short" ? r.int(2, 40) : r.int(20, 180));
  const genres = r.float() < 0.05 ? "\\N" : r.shuffled(GENRES).slice(0, r.int(1, 3)).sort().join(",");
  const tconst = `tt${String(n).padStart(7, "0")}`;
  const primary = r.float() < 0.005 ? "\\N" : name;
  const basics = [tconst, type, primary, r.float() < 0.1 ? `${name} (original)` : primary, r.float() < 0.02 ? "1" : "0", start, end, minutes, genres].join("\t");
  const rating = r.float() < 0.7 ? [tconst, (r.int(10, 100) / 10).toFixed(1), String(Math.floor(r.exponential(800)) + 5)].join("\t") : undefined;
  return { basics, rating };
}

/** A line broken as real files break: a column lost, or a value of the wrong kind. */
function broken(r: Random, line: string, isRatings: boolean): string {
  const columns = line.split("\t");
  const damage = r.int(0, 2);
  if (damage === 0) return columns.slice(0, -1).join("\t");
  if (isRatings) return [columns[0], damage === 1 ? "n/a" : "8,5", columns[2]].join("\t");
  columns[damage === 1 ? 4 : 7] = damage === 1 ? "yes" : "90min";
  return columns.join("\t");
}

/** One line of the sample and the file it belongs to. */
export interface CatalogLine {
  readonly file: "basics" | "ratings";
  readonly line: string;
}

/** title.basics and title.ratings lines, each file's header first, generated one at a time (the 11-million-line benchmark file streams). */
export function* catalogLines(options: CatalogSampleOptions): Generator<CatalogLine> {
  const r = new Random(options.seed);
  const every = options.brokenEvery ?? 500;
  yield { file: "basics", line: headerOf("basics") };
  yield { file: "ratings", line: headerOf("ratings") };
  for (let i = 0; i < TITLES.length + options.titles; i++) {
    let t: Title;
    if (i < TITLES.length) {
      const o = TITLES[i];
      t = {
        basics: [o.id, TITLE_TYPES[o.kind], o.title, o.title, "0", String(r.int(2016, 2024)), "\\N", String(o.minutes), o.genre].join("\t"),
        rating: UNRATED.has(o.id) ? undefined : [o.id, (r.int(55, 95) / 10).toFixed(1), String(r.int(1_000, 250_000))].join("\t"),
      };
    } else t = fillerTitle(r, i - TITLES.length + 1);
    const breakIt = every > 0 && i >= TITLES.length && r.int(1, every) === 1;
    yield { file: "basics", line: breakIt && r.float() < 0.5 ? broken(r, t.basics, false) : t.basics };
    if (t.rating !== undefined) yield { file: "ratings", line: breakIt && r.float() < 0.5 ? broken(r, t.rating, true) : t.rating };
  }
}
