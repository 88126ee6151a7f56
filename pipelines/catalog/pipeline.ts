import { registerModule } from "../../transforms/core/registry";
import * as beam from "apache-beam";
import { PipelineDefinition, TableOutputs } from "../definition";
import { deadLetter } from "../../schemas/dead-letter";
import { ingestionLog, titleBasics, titleRatings } from "../../schemas/catalog";
import { contentPerformance, dataQualityMetrics } from "../../schemas/views";
import { COUNTERS } from "../../transforms/core/parse-records";
import { CATALOG_FILES, catalogKindOf, CatalogParseContext, parseCatalogCounted, ParsedCatalogChunk } from "../../transforms/catalog/imdb";
import { OptionsOf, optionSpecs } from "../options";

const CATALOG_OPTIONS = optionSpecs([
  { name: "sampleTitles", type: "number", template: "none", default: 5000, integer: true, min: 0, description: "Titles in the generated sample (no --input), beside the 20 the OTT sample plays." },
] as const);

export type CatalogOptions = OptionsOf<typeof CATALOG_OPTIONS>;

/** IMDb title.basics and title.ratings files -> title_basics, title_ratings; bad lines -> dead_letter; each file -> ingestion_log. */
export const catalogPipeline: PipelineDefinition<CatalogOptions> = {
  name: "catalog",
  description: "IMDb title.basics / title.ratings TSV files -> title_basics, title_ratings (unchanged files skipped)",
  options: CATALOG_OPTIONS,
  tables: [titleBasics, titleRatings, ingestionLog, deadLetter],
  views: [contentPerformance, dataQualityMetrics],
  snapshots: {
    log: ingestionLog,
    tableOf: (path) => {
      const kind = catalogKindOf(path);
      return kind === undefined ? undefined : CATALOG_FILES[kind].table;
    },
    accepts: "title.basics.tsv[.gz] and title.ratings.tsv[.gz], as IMDb names them",
  },
  expand(input) {
    const parsed = input.map(beam.withName("ParseTsv", parseCatalogCounted), {
      pipeline: "catalog",
      recordsRead: beam.counter(COUNTERS.recordsRead),
      blankLines: beam.counter(COUNTERS.blankLines),
      validRecords: beam.counter(COUNTERS.validRecords),
      deadLetters: beam.counter(COUNTERS.deadLetters),
    } as CatalogParseContext);
    const outputs: TableOutputs = {};
    outputs[titleBasics.name] = parsed.map(beam.withName("TitleBasics", (p: ParsedCatalogChunk) => p.basics));
    outputs[titleRatings.name] = parsed.map(beam.withName("TitleRatings", (p: ParsedCatalogChunk) => p.ratings));
    outputs[deadLetter.name] = parsed.map(beam.withName("DeadLetters", (p: ParsedCatalogChunk) => p.deadLetters));
    return outputs;
  },
};

registerModule("pipelines/catalog/pipeline", module.exports);
