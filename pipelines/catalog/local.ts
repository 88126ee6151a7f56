import { createWriteStream } from "fs";
import { mkdir } from "fs/promises";
import { tmpdir } from "os";
import { join } from "path";
import { once } from "events";
import { catalogLines } from "../../samples/catalog";
import { LocalRun } from "../definition";
import { CatalogOptions } from "./pipeline";
import { CATALOG_PANELS } from "./dashboard";
import { CatalogReport } from "./report";

/**
 * The generated sample as IMDb's two files, in a directory named by its seed
 * and size. The text is the same on every run, so a second run finds the
 * files unchanged and skips them.
 */
export async function writeCatalogSample(seed: number, titles: number, dir = join(tmpdir(), "beam-video-analytics", `catalog-sample-${seed}-${titles}`)): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths = { basics: join(dir, "title.basics.tsv"), ratings: join(dir, "title.ratings.tsv") };
  const out = { basics: createWriteStream(paths.basics), ratings: createWriteStream(paths.ratings) };
  for (const { file, line } of catalogLines({ seed, titles })) {
    if (!out[file].write(`${line}\n`)) await once(out[file], "drain");
  }
  await Promise.all([out.basics, out.ratings].map((s) => new Promise((resolve) => s.end(resolve))));
  return [paths.basics, paths.ratings];
}

/** catalog on the direct runner: a generated catalog without --input (the OTT sample's titles and filler); what each file became in the summary. */
export const catalogLocalRun: LocalRun<CatalogOptions> = {
  sampleFiles: (seed, options) => writeCatalogSample(seed, options.sampleTitles),
  exampleQuery: "SELECT * FROM content_performance WHERE averageRating IS NOT NULL ORDER BY numVotes DESC LIMIT 10",
  newReport: () => new CatalogReport(),
  panels: CATALOG_PANELS,
};
