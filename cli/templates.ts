#!/usr/bin/env node
import { join } from "path";
import { PipelineDefinition } from "../pipelines/definition";
import { PIPELINES } from "../pipelines/registry";
import { exitWithError } from "./errors";
import { appliesTo, choicesOn, OptionSpec, patternOn } from "../pipelines/options";
import { COMMON_OPTIONS } from "../runners/settings";
import { fileProblems, GeneratedFile, writeGeneratedFiles } from "./generated-files";

/**
 * Dataflow Flex Template metadata, one file per pipeline, generated from the
 * same option specs as the CLI (so a flag and its parameter cannot drift):
 * every flag that means something on Dataflow and that `gcloud dataflow
 * flex-template run` does not set with its own flags (docs/runners.md).
 */

export const TEMPLATES_DIR = "templates";

interface TemplateParameter {
  name: string;
  label: string;
  helpText: string;
  isOptional: boolean;
  regexes?: string[];
}

export interface TemplateMetadata {
  name: string;
  description: string;
  /** Google's metadata key for a streaming template (gcloud 528 leaves it out of the spec it writes; template:build sets Streaming Engine itself); absent for a batch one. */
  streaming?: true;
  parameters: TemplateParameter[];
}

/** A pipeline over snapshot files (the catalog) is a batch job; the others stream from Pub/Sub. */
const isBatch = (pipeline: PipelineDefinition<unknown>): boolean => pipeline.snapshots !== undefined;

/**
 * Whether a flag is a template parameter: it applies on Dataflow to this
 * kind of job, configures the job (not this program: `source`, `sink` have
 * one value there), and the launch environment does not set it.
 */
const isTemplateParameter = (spec: OptionSpec, batch: boolean): boolean =>
  spec.template === undefined && !spec.local && appliesTo(spec, "dataflow") && (spec.job === undefined || spec.job === (batch ? "batch" : "streaming"));

/** Every flag of a pipeline a template job takes as a parameter: the common ones, then the pipeline's. */
const templateOptions = (pipeline: PipelineDefinition<unknown>): OptionSpec[] => [...COMMON_OPTIONS, ...pipeline.options].filter((spec) => isTemplateParameter(spec, isBatch(pipeline)));

/** "bufferThresholdMs" -> "Buffer threshold ms" */
const label = (name: string): string => {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** The rule a value must match, as the regular expression Dataflow checks at launch. */
function regexOf(spec: OptionSpec): string | undefined {
  const choices = choicesOn(spec, "dataflow");
  if (choices) return `^(${choices.join("|")})$`;
  if (spec.type === "boolean") return "^(true|false)$";
  if (spec.type === "number") return spec.integer && (spec.min ?? -1) >= 0 ? "^[0-9]+$" : "^-?[0-9]+(\\.[0-9]+)?$";
  return patternOn(spec, "dataflow")?.regex;
}

/** `required`: a parameter the job cannot run without and the launch does not give (a batch job's --input: there is no sample on Dataflow). */
function parameterOf(spec: OptionSpec, required: boolean): TemplateParameter {
  // A flag Dataflow requires has no default there (the launch passes the job's own, e.g. --project).
  const launched = spec.requiredBy?.includes("dataflow");
  const fallback = launched ? `the job's ${label(spec.name).toLowerCase()}` : spec.portable ? spec.portable.default : spec.default;
  const parameter: TemplateParameter = {
    name: spec.name,
    label: label(spec.name),
    helpText: fallback === undefined ? spec.description : `${spec.description} Default: ${fallback}.`,
    // Every other parameter has a default on Dataflow, or comes with the launch (--project).
    isOptional: !required,
  };
  const regex = regexOf(spec);
  if (regex !== undefined) parameter.regexes = [regex];
  return parameter;
}

function templateMetadata(pipeline: PipelineDefinition<unknown>): TemplateMetadata {
  const name = `beam-video-analytics-${pipeline.name}`;
  if (isBatch(pipeline)) {
    return {
      name,
      description: `${pipeline.description}. A batch job from Cloud Storage into BigQuery (Apache Beam TypeScript SDK).`,
      parameters: templateOptions(pipeline).map((spec) => parameterOf(spec, spec.name === "input")),
    };
  }
  return {
    name,
    description: `${pipeline.description}. Streaming from Pub/Sub into BigQuery (Apache Beam TypeScript SDK).`,
    streaming: true,
    parameters: templateOptions(pipeline).map((spec) => parameterOf(spec, false)),
  };
}

export const templateFileName = (pipeline: string): string => `${pipeline}.json`;

/** Every metadata file of templates/: what `npm run templates` writes and the staleness test compares. */
export function generatedTemplateFiles(): GeneratedFile[] {
  return Object.values(PIPELINES).map((p) => ({ name: templateFileName(p.name), text: `${JSON.stringify(templateMetadata(p), null, 2)}\n` }));
}

/** Missing, stale or orphaned metadata files among `present` (the .json files of templates/), against `expected` (all by default). */
export const templateFileProblems = (present: ReadonlyMap<string, string>, expected: readonly GeneratedFile[] = generatedTemplateFiles()): string[] =>
  fileProblems({ dir: TEMPLATES_DIR, command: "npm run templates", source: "the option specs", owner: "pipeline" }, expected, present);

/** `npm run templates`: writes templates/<pipeline>.json. */
if (require.main === module) {
  writeGeneratedFiles(process.argv.slice(2), "npm run templates --", TEMPLATES_DIR, generatedTemplateFiles()).catch((error) => exitWithError(error, () => false));
}
