import { alertsPipeline } from "./alerts/pipeline";
import { conversationsPipeline } from "./conversations/pipeline";
import { PipelineDefinition } from "./definition";
import { ottPipeline } from "./ott/pipeline";

/** Every pipeline the CLI can run, by name (each entry's key equals its `name`; a test checks). */
export const PIPELINES: Record<string, PipelineDefinition<any>> = {
  alerts: alertsPipeline,
  conversations: conversationsPipeline,
  ott: ottPipeline,
};
