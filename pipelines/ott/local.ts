import { GeneratedSource } from "../../io/sources/generated-source";
import { OTT_START_MICROS, OttGenerator } from "../../samples/ott";
import { LocalRun } from "../definition";
import { OTT_PANELS } from "./dashboard";
import { OttOptions } from "./pipeline";
import { OttReport } from "./report";

/** ott on the direct runner: generated viewing events without --input; the top of every view in the summary. */
export const ottLocalRun: LocalRun<OttOptions> = {
  sampleSource(seed, options) {
    const count = options.sampleMinutes * 60 * options.sampleEps;
    return new GeneratedSource(`sample:ott(seed=${seed})`, () =>
      new OttGenerator({ seed, startMicros: OTT_START_MICROS, meanGapMicros: 1e6 / options.sampleEps }).lines(count),
    );
  },
  exampleQuery:
    "SELECT window_start, title, viewers FROM ott_viewers_per_title QUALIFY row_number() OVER (PARTITION BY window_start ORDER BY viewers DESC) = 1 ORDER BY window_start DESC LIMIT 10",
  newReport: () => new OttReport(),
  panels: OTT_PANELS,
};
