import { registerModule } from "../../transforms/core/registry";
import { PipelineDefinition, TableOutputs } from "../definition";
import { deadLetter } from "../../schemas/dead-letter";
import { userEvents } from "../../schemas/ott";
import { parseRecords } from "../../transforms/core/parse-records";
import { decodeOttEvent } from "../../transforms/ott/events";
import * as beam from "apache-beam";
import { admitEvent } from "../../transforms/ott/arrival";
import { OTT_VIEWS } from "../../transforms/ott/views";
import { countTooLate, mergeSpecOf, TOO_LATE_FOR_VIEWS, windowedView } from "../../transforms/ott/windowed-view";
import { OptionsOf, optionSpecs } from "../options";
import { titlesFromCatalog } from "../../transforms/ott/catalog-titles";

const OTT_OPTIONS = optionSpecs([
  {
    name: "allowedLatenessSec",
    type: "number",
    default: 300,
    integer: true,
    min: 0,
    description: "Streaming: a view's window still takes events until the watermark is this many seconds past its end; later events are stored in user_events and counted, not added to the views.",
  },
  {
    name: "maxFutureSec",
    type: "number",
    default: 300,
    integer: true,
    min: 0,
    description: "Events stamped more than this many seconds ahead of their arrival go to dead_letter (reason future_timestamp).",
  },
  { name: "sampleMinutes", type: "number", template: "none", default: 5, integer: true, min: 1, max: 1440, description: "Minutes of event time in the generated sample (no --input)." },
  { name: "sampleEps", type: "number", template: "none", default: 100, integer: true, min: 1, max: 100_000, description: "Events per second of event time in the generated sample." },
] as const);

export type OttOptions = OptionsOf<typeof OTT_OPTIONS>;

const views = Object.values(OTT_VIEWS);
const periodsMicros = [...new Set(views.map((v) => v.periodSec * 1e6))];

/** OTT viewing events -> user_events, and the windowed views (audience, engagement, demographic trends). */
export const ottPipeline: PipelineDefinition<OttOptions> = {
  name: "ott",
  description: "OTT viewing events -> user_events + windowed analytics (viewers, watch time, trending, geo, devices, buffering, engagement, demographics)",
  options: OTT_OPTIONS,
  tables: [userEvents, ...views.map((v) => v.table), deadLetter],
  merges: new Map(views.map((v) => [v.table.name, mergeSpecOf(v)] as const)),
  eventTime: { table: userEvents.name, column: "timestamp" },
  countedOnceBy: userEvents.name,
  allowedLatenessSec: (options) => options.allowedLatenessSec,
  readsCatalog: true,
  expand(input, options, sides) {
    const events = parseRecords(input, "ott", decodeOttEvent, { check: admitEvent, params: { maxFutureMicros: options.maxFutureSec * 1e6 } });
    const allowedLatenessMicros = options.allowedLatenessSec * 1e6;
    events.valid.flatMap(beam.withName("CountTooLate", countTooLate), { periodsMicros, allowedLatenessMicros, tooLate: beam.counter(TOO_LATE_FOR_VIEWS) });
    const outputs: TableOutputs = {};
    outputs[userEvents.name] = events.valid;
    // user_events keeps each event as sent; the views see titles and genres from the catalog where events lack them.
    const viewed = sides?.catalog === undefined ? events.valid : titlesFromCatalog(events.valid, sides.catalog);
    for (const view of views) outputs[view.table.name] = windowedView(viewed, view, allowedLatenessMicros);
    outputs[deadLetter.name] = events.deadLetters;
    return outputs;
  },
};

registerModule("pipelines/ott/pipeline", module.exports);
