import { registerModule } from "../../transforms/core/registry";
import * as beam from "apache-beam";
import { PipelineDefinition, TableOutputs } from "../definition";
import { deadLetter } from "../../schemas/dead-letter";
import { PlaybackEvent, videoPlaybackAlerts } from "../../schemas/playback";
import { parseRecords } from "../../transforms/core/parse-records";
import { DEFAULT_BUFFER_THRESHOLD_MS, decodePlaybackEvent, detectAlerts } from "../../transforms/playback/alerts";
import { OptionsOf, optionSpecs } from "../options";

const ALERTS_OPTIONS = optionSpecs([
  {
    name: "bufferThresholdMs",
    type: "number",
    default: DEFAULT_BUFFER_THRESHOLD_MS,
    integer: true,
    min: 0,
    description: "Buffering longer than this many ms is an alert (exactly the threshold is not).",
  },
  { name: "sampleEvents", type: "number", template: "none", default: 100_000, integer: true, min: 1, description: "Events in the generated sample (no --input)." },
] as const);

export type AlertsOptions = OptionsOf<typeof ALERTS_OPTIONS>;

export function alertsOf(events: PlaybackEvent[], context: { bufferThresholdMs: number; alerts: beam.Counter }) {
  const alerts = detectAlerts(events, context.bufferThresholdMs);
  context.alerts.increment(alerts.length);
  return alerts;
}

/** Playback events -> errors and long buffering -> `video_playback_alerts`, bad records -> `dead_letter`. */
export const alertsPipeline: PipelineDefinition<AlertsOptions> = {
  name: "alerts",
  description: "video playback events -> alerts (errors, buffering over the threshold)",
  options: ALERTS_OPTIONS,
  tables: [videoPlaybackAlerts, deadLetter],
  expand(input, options) {
    const events = parseRecords(input, "alerts", decodePlaybackEvent);
    const alerts = events.valid.map(beam.withName("DetectAlerts", alertsOf), {
      bufferThresholdMs: options.bufferThresholdMs,
      alerts: beam.counter("alerts"),
    });
    const outputs: TableOutputs = {};
    outputs[videoPlaybackAlerts.name] = alerts;
    outputs[deadLetter.name] = events.deadLetters;
    return outputs;
  },
};

registerModule("pipelines/alerts/pipeline", module.exports);
