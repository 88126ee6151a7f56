import { alertsLocalRun } from "./alerts/local";
import { alertsPipeline } from "./alerts/pipeline";
import { catalogLocalRun } from "./catalog/local";
import { catalogPipeline } from "./catalog/pipeline";
import { conversationsLocalRun } from "./conversations/local";
import { conversationsPipeline } from "./conversations/pipeline";
import { RunnablePipeline } from "./definition";
import { OptionValues } from "./options";
import { ottLocalRun } from "./ott/local";
import { ottPipeline } from "./ott/pipeline";

/**
 * Every pipeline the CLI can run, by name (each entry's key equals its `name`;
 * a test checks). Options arrive as parsed flag values, checked against each
 * pipeline's own specs.
 */
export const PIPELINES: Record<string, RunnablePipeline<OptionValues>> = {
  alerts: { ...alertsPipeline, ...alertsLocalRun },
  conversations: { ...conversationsPipeline, ...conversationsLocalRun },
  ott: { ...ottPipeline, ...ottLocalRun },
  catalog: { ...catalogPipeline, ...catalogLocalRun },
};
