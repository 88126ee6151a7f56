import { GeneratedSource } from "../../io/sources/generated-source";
import { PlaybackGenerator } from "../../samples/playback";
import { LocalRun } from "../definition";
import { ALERTS_PANELS } from "./dashboard";
import { AlertsOptions } from "./pipeline";
import { AlertsReport } from "./report";

/** alerts on the direct runner: generated playback events without --input; alerts by kind, city and ISP in the summary. */
export const alertsLocalRun: LocalRun<AlertsOptions> = {
  sampleSource(seed, options) {
    return new GeneratedSource(`sample:playback(seed=${seed})`, () => new PlaybackGenerator({ seed }).lines(options.sampleEvents));
  },
  exampleQuery: "SELECT run_date, city, isp, count(*) AS alerts FROM video_playback_alerts GROUP BY ALL ORDER BY alerts DESC LIMIT 10",
  newReport: () => new AlertsReport(),
  panels: ALERTS_PANELS,
};
