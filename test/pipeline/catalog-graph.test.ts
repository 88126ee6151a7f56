import * as beam from "apache-beam";
import { assertDeepEqual } from "apache-beam/testing/assert";
import { catalogPipeline } from "../../pipelines/catalog/pipeline";
import { lineChunk } from "../../io/sources/source";
import { titleBasics, titleRatings } from "../../schemas/catalog";
import { deadLetter } from "../../schemas/dead-letter";
import { Row } from "../../schemas/table";
import { headerOf } from "../../transforms/catalog/imdb";
import { requireForSerialization } from "apache-beam/serialization";
import { directRunner } from "apache-beam/runners/direct_runner";
import { TableOutputs } from "../../pipelines/definition";

/** A file's text; beam.create serializes its elements, which a chunk's bytes do not survive, so the chunk is made in the graph. */
interface FileText {
  path: string;
  text: string;
}

const file = (path: string, lines: string[]): FileText => ({ path, text: lines.map((l) => `${l}\n`).join("") });
export const chunkOf = (f: FileText) => lineChunk(f.path, 0, 1, Buffer.from(f.text), true);
// Passed by reference, as the runner's own read step is: Buffer cannot be serialized. Not under the package's name: no remote worker requires it.
requireForSerialization("catalog-graph-test", { chunkOf });

/** The catalog graph over whole files, each one chunk as the file source cuts it, on a direct-runner root. */
async function runCatalog(files: FileText[], assert: (outputs: TableOutputs) => void): Promise<void> {
  const debug = console.debug;
  console.debug = () => undefined; // the SDK's worker logs every bundle
  try {
    await directRunner().run((root) => assert(catalogPipeline.expand(root.apply(beam.create(files)).map(beam.withName("FileChunk", chunkOf)), { sampleTitles: 0 })));
  } finally {
    console.debug = debug;
  }
}
const summary = (rows: Row[]): unknown[] => rows.map((r) => `${r.tconst} ${r.primaryTitle} ${JSON.stringify(r.genres)} ${r.isAdult}`);
const ratings = (rows: Row[]): unknown[] => rows.map((r) => `${r.tconst} ${r.averageRating} ${r.numVotes}`);
const reasons = (rows: Row[]): unknown[] => rows.map((r) => `${r.reason_code} ${r.source}`);

describe("catalog graph on a direct-runner root", () => {
  it("routes each file's lines to its table by the file's name, and bad lines to dead letters", async () => {
    const basics = file("in/title.basics.tsv.gz", [
      headerOf("basics"),
      "tt0000001\tshort\tCarmencita\tCarmencita\t0\t1894\t\\N\t1\tDocumentary,Short",
      "tt0000002\tshort\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N",
      "tt0000003\tshort\tPauvre Pierrot\tPauvre Pierrot\tmaybe\t1892\t\\N\t5\tAnimation",
    ]);
    const rated = file("in/title.ratings.tsv.gz", [headerOf("ratings"), "tt0000001\t5.7\t2077", "tt0000003\tgood\t10", "tt0000004\t6.0"]);
    await runCatalog([basics, rated], (outputs) => {
      outputs[titleBasics.name].flatMap(beam.withName("Basics", summary)).apply(assertDeepEqual(['tt0000001 Carmencita ["Documentary","Short"] false', "tt0000002 null [] null"]));
      outputs[titleRatings.name].flatMap(beam.withName("Ratings", ratings)).apply(assertDeepEqual(["tt0000001 5.7 2077"]));
      outputs[deadLetter.name]
        .flatMap(beam.withName("Reasons", reasons))
        .apply(assertDeepEqual(["unknown_boolean in/title.basics.tsv.gz:4", "bad_rating in/title.ratings.tsv.gz:3", "wrong_column_count in/title.ratings.tsv.gz:4"]));
    });
  });
});
