#!/usr/bin/env node
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import { PIPELINES } from "../pipelines/registry";
import { exitWithError, UsageError } from "./errors";
import { commandLine } from "./parser";
import { generatedTemplateFiles, templateFileName, templateFileProblems, TEMPLATES_DIR } from "./templates";

/**
 * `npm run template:build -- --pipeline alerts --image IMAGE --bucket BUCKET`:
 * `gcloud dataflow flex-template build` for one pipeline, with its metadata
 * file and its launcher image (templates/launcher.Dockerfile), into
 * gs://BUCKET/templates/<pipeline>.json (Terraform's templateLocation).
 */

export interface TemplateBuild {
  pipeline: string;
  image: string;
  bucket: string;
  printOnly: boolean;
}

/** gs://BUCKET/templates/<pipeline>.json, for a bucket given with or without gs:// */
const templatePath = (bucket: string, pipeline: string): string => `gs://${bucket.replace(/^gs:\/\//, "").replace(/\/+$/, "")}/templates/${templateFileName(pipeline)}`;

/** gcloud's arguments, the metadata file relative to the repository root. */
export function gcloudArgs(build: TemplateBuild): string[] {
  const args = [
    "dataflow",
    "flex-template",
    "build",
    templatePath(build.bucket, build.pipeline),
    `--image=${build.image}`,
    // gcloud has no TypeScript launcher: the image is a Python launcher that runs node (templates/launcher.py).
    "--sdk-language=PYTHON",
    `--metadata-file=${join(TEMPLATES_DIR, templateFileName(build.pipeline))}`,
    // The spec's default environment: a streaming job on Streaming Engine (gcloud drops the metadata's `streaming`); the catalog's batch job needs none.
    ...(PIPELINES[build.pipeline]?.snapshots === undefined ? ["--enable-streaming-engine"] : []),
  ];
  return build.printOnly ? [...args, "--print-only"] : args;
}

export function parseTemplateBuild(argv: readonly string[]): TemplateBuild {
  const parsed = commandLine(argv, "npm run template:build --", "$0 --pipeline P --image IMAGE --bucket BUCKET\n\nBuilds the Dataflow Flex Template of a pipeline.")
    .strict()
    .option("pipeline", { type: "string", demandOption: true, requiresArg: true, describe: `The pipeline: ${Object.keys(PIPELINES).join(", ")}.` })
    .option("image", { type: "string", demandOption: true, requiresArg: true, describe: "Its launcher image (templates/launcher.Dockerfile), pushed." })
    .option("bucket", { type: "string", demandOption: true, requiresArg: true, describe: "Bucket of the template spec: gs://BUCKET/templates/<pipeline>.json." })
    .option("printOnly", { type: "boolean", default: false, describe: "Print the spec instead of writing it (gcloud's --print-only; offline)." })
    .exitProcess(false)
    .parseSync();
  for (const name of ["pipeline", "image", "bucket"]) {
    if (typeof parsed[name] !== "string" || parsed[name] === "") throw new UsageError(`--${name} takes one value`);
  }
  if (parsed._.length > 0) throw new UsageError(`unexpected argument: ${parsed._[0]}`);
  if (PIPELINES[parsed.pipeline as string] === undefined) throw new UsageError(`unknown pipeline: ${parsed.pipeline} (pipelines: ${Object.keys(PIPELINES).join(", ")})`);
  return { pipeline: parsed.pipeline as string, image: parsed.image as string, bucket: parsed.bucket as string, printOnly: parsed.printOnly as boolean };
}

async function main(): Promise<void> {
  const build = parseTemplateBuild(process.argv.slice(2));
  const root = join(__dirname, "..", "..");
  // Building from a stale metadata file would publish parameters the CLI no longer has.
  const expected = generatedTemplateFiles().filter((f) => f.name === templateFileName(build.pipeline));
  const present = new Map<string, string>();
  try {
    present.set(expected[0].name, readFileSync(join(root, TEMPLATES_DIR, expected[0].name), "utf8"));
  } catch {
    // missing: reported below
  }
  const stale = templateFileProblems(present, expected)[0];
  if (stale) throw new UsageError(stale);
  const args = gcloudArgs(build);
  process.stderr.write(`gcloud ${args.join(" ")}\n`);
  const result = spawnSync("gcloud", args, { cwd: root, stdio: "inherit" });
  if (result.error) throw new Error(`cannot run gcloud: ${result.error.message}`);
  process.exit(result.status ?? 1);
}

if (require.main === module) main().catch((error) => exitWithError(error, (e) => e.message.startsWith("cannot run gcloud")));
