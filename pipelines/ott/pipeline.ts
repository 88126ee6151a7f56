import { registerModule } from "../../transforms/core/registry";
import { PipelineDefinition, TableOutputs } from "../definition";
import { deadLetter } from "../../schemas/dead-letter";
import { userEvents } from "../../schemas/ott";
import { parseRecords } from "../../transforms/core/parse-records";
import { decodeOttEvent } from "../../transforms/ott/events";
import { admitEvent, arrivalRun } from "../../transforms/ott/arrival";
import { OTT_VIEWS } from "../../transforms/ott/views";
import { mergeSpecOf, windowedView } from "../../transforms/ott/windowed-view";
import { OptionsOf, optionSpecs } from "../options";

const OTT_OPTIONS = optionSpecs([
  { name: "allowedLatenessSec", type: "number", default: 300, integer: true, min: 0, description: "Events more than this many seconds behind the newest event time seen go to dead_letter (reason late)." },
  { name: "sampleMinutes", type: "number", default: 5, integer: true, min: 1, max: 1440, description: "Minutes of event time in the generated sample (no --input)." },
  { name: "sampleEps", type: "number", default: 100, integer: true, min: 1, max: 100_000, description: "Events per second of event time in the generated sample." },
] as const);

export type OttOptions = OptionsOf<typeof OTT_OPTIONS>;

const views = Object.values(OTT_VIEWS);

/** OTT viewing events -> user_events, and the windowed views (audience, engagement, demographic trends). */
export const ottPipeline: PipelineDefinition<OttOptions> = {
  name: "ott",
  description: "OTT viewing events -> user_events + windowed analytics (viewers, watch time, trending, geo, devices, buffering, engagement, demographics)",
  options: OTT_OPTIONS,
  tables: [userEvents, ...views.map((v) => v.table), deadLetter],
  merges: new Map(views.map((v) => [v.table.name, mergeSpecOf(v)] as const)),
  expand(input, options) {
    const events = parseRecords(input, "ott", decodeOttEvent, {
      check: admitEvent,
      params: { run: arrivalRun(options), allowedLatenessMicros: options.allowedLatenessSec * 1e6 },
    });
    const outputs: TableOutputs = {};
    outputs[userEvents.name] = events.valid;
    for (const view of views) outputs[view.table.name] = windowedView(events.valid, view);
    outputs[deadLetter.name] = events.deadLetters;
    return outputs;
  },
};

registerModule("pipelines/ott/pipeline", module.exports);
