import { expect } from "chai";
import { spawnSync } from "child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { parseArgs, ParsedArgs } from "../../cli/args";
import { launchCommandLine } from "../../cli/flex-launch";
import { appliesTo, checkOption, choicesOn, OptionSpec, patternOn } from "../../pipelines/options";
import { COMMON_OPTIONS } from "../../runners/settings";
import { gcloudArgs } from "../../cli/template-build";
import { generatedTemplateFiles, TemplateMetadata, templateFileName, templateFileProblems, TEMPLATES_DIR } from "../../cli/templates";
import { PIPELINES } from "../../pipelines/registry";
import { GCP_EXPANSION_SERVICE } from "../../runners/portable/submit";
import { envValue, parseDockerfile, Stage } from "../support/dockerfile";
import { ROOT, runScript, tempDir } from "../helpers";

const readMetadata = (pipeline: string): TemplateMetadata => JSON.parse(readFileSync(join(ROOT, TEMPLATES_DIR, templateFileName(pipeline)), "utf8"));

/** A value the CLI refuses for a flag on Dataflow, when its kind has one: the parameter's regex must refuse it too. */
function refusedValue(spec: OptionSpec): string | undefined {
  if (spec.type === "number") return "abc";
  if (spec.type === "boolean") return "yes";
  if (choicesOn(spec, "dataflow")) return "not-a-choice";
  // A local path, with characters no pattern here takes (the catalog's --input on Dataflow is gs:// only).
  return patternOn(spec, "dataflow") ? "imdb/title basics!.tsv" : undefined;
}

/** The flags Terraform's Flex Template jobs pass as parameters (terraform/main.tf: local.common_flags, plus subscription). */
function terraformParameters(): string[] {
  const main = readFileSync(join(ROOT, "terraform", "main.tf"), "utf8");
  const block = /common_flags = \{([^}]*)\}/.exec(main)![1];
  return [...[...block.matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1]), "subscription"];
}

describe("Flex Template metadata (templates/<pipeline>.json)", () => {
  it("exists for every pipeline and equals what the option specs generate (run `npm run templates` when this fails)", () => {
    const dir = join(ROOT, TEMPLATES_DIR);
    const present = new Map(readdirSync(dir).filter((n) => n.endsWith(".json")).map((name) => [name, readFileSync(join(dir, name), "utf8")]));
    expect(templateFileProblems(present)).to.deep.equal([]);
    expect(generatedTemplateFiles().map((f) => f.name).sort()).to.deep.equal(Object.values(PIPELINES).map((p) => templateFileName(p.name)).sort());
  });

  for (const pipeline of Object.values(PIPELINES)) {
    describe(pipeline.name, () => {
      const metadata = readMetadata(pipeline.name);
      const flags = new Map<string, OptionSpec>([...COMMON_OPTIONS, ...pipeline.options].map((s) => [s.name, s]));
      const batch = pipeline.snapshots !== undefined;

      if (!batch) {
        it("is a streaming template whose parameters all mean something on Dataflow (no source, sink, sample or input flags)", () => {
          expect(metadata.streaming).to.equal(true);
          expect(metadata.parameters.map((p) => p.name).filter((n) => /^(source|sink|sample.*|seed|input)$/.test(n))).to.deep.equal([]);
        });

        it("takes every flag Terraform's Flex Template job passes (terraform/dataflow.tf)", () => {
          expect(metadata.parameters.map((p) => p.name)).to.include.members(terraformParameters());
        });
      } else {
        it("is a batch template (no `streaming`) over gs:// objects: --input required, refused unless gs://, and no flag of a streaming job", () => {
          expect(metadata).to.not.have.property("streaming");
          expect(metadata.parameters.map((p) => p.name)).to.deep.equal(["input", "project", "dataset"]);
          const input = metadata.parameters[0];
          expect(input.isOptional).to.equal(false);
          const regex = new RegExp(input.regexes![0]);
          expect(["gs://imdb-data/imdb/title.*.tsv.gz", "gs://imdb-data/title.basics.tsv.gz"].map((v) => regex.test(v))).to.deep.equal([true, true]);
          expect(["imdb/title.*.tsv.gz", "/srv/imdb/title.basics.tsv.gz", "gs://imdb-data", "gs://imdb-data/", "s3://imdb-data/title.basics.tsv.gz"].filter((v) => regex.test(v))).to.deep.equal([]);
          expect(metadata.parameters.filter((p) => p.name !== "input").map((p) => p.isOptional)).to.deep.equal([true, true]);
        });
      }

      it("has what Dataflow requires: a name, and per parameter a name, a label and a help text", () => {
        expect(metadata.name).to.be.a("string").and.not.equal("");
        for (const p of metadata.parameters) for (const key of ["name", "label", "helpText"] as const) expect(p[key], `${p.name}.${key}`).to.be.a("string").and.not.equal("");
      });

      it("its parameters are the CLI's flags for --runner=dataflow, each explained as --help explains it", () => {
        for (const p of metadata.parameters) {
          const spec = flags.get(p.name);
          expect(spec, `parameter ${p.name} is no flag of ${pipeline.name}`).to.not.equal(undefined);
          expect(appliesTo(spec!, "dataflow"), p.name).to.equal(true);
          expect(p.helpText).to.contain(spec!.description);
        }
        // Every other flag that means something on Dataflow is set by the launch: gcloud's flags, passed on by the launcher.
        const parameters = new Set(metadata.parameters.map((p) => p.name));
        const launched = launchCommandLine(pipeline.name, [
          "--runner=DataflowRunner",
          ...[...flags.values()].filter((s) => appliesTo(s, "dataflow") && !parameters.has(s.name)).map((s) => `--${s.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}=x`),
        ]);
        expect(launched.ignored).to.deep.equal([]);
      });

      it("its regexes accept the flag's value on Dataflow and refuse what the CLI refuses", () => {
        for (const p of metadata.parameters) {
          const spec = flags.get(p.name)!;
          const fallback = spec.portable ? spec.portable.default : spec.default;
          for (const regex of p.regexes ?? []) {
            if (fallback !== undefined) expect(new RegExp(regex).test(String(fallback)), `${p.name}: ${regex} vs ${fallback}`).to.equal(true);
            const refused = refusedValue(spec);
            if (refused !== undefined) {
              // (yargs itself reads booleans: anything but true is false there.)
              if (spec.type !== "boolean") expect(checkOption(spec, spec.type === "number" ? Number(refused) : refused, "dataflow"), p.name).to.be.a("string");
              expect(new RegExp(regex).test(refused), `${p.name}: ${regex} vs ${refused}`).to.equal(false);
            }
          }
        }
      });
    });
  }
});

describe("Flex Template launcher", () => {
  it("turns the launch environment (Python spellings) and the parameters into the CLI's --runner=dataflow command line", () => {
    const launcher = [
      "--runner=DataflowRunner",
      "--project=test-project",
      "--region=europe-west1",
      "--temp_location=gs://test-bucket/temp",
      "--staging_location=gs://test-bucket/staging",
      "--job_name=alerts-streaming",
      "--service_account_email=worker@test-project.iam.gserviceaccount.com",
      "--enable_streaming_engine",
      "--machine_type=n2-standard-2",
      "--sdk_location=container",
      "--sdk_container_image=worker:1",
      "--source=pubsub",
      "--streaming=true",
      "--subscription=projects/test-project/subscriptions/video-playback-events-sub",
      "--bufferThresholdMs=3000",
    ];
    const command = launchCommandLine("alerts", launcher);
    expect(command.ignored).to.deep.equal(["--sdk_location"]);
    const args = parseArgs(command.argv) as ParsedArgs;
    expect(args.pipeline.name).to.equal("alerts");
    expect(args.settings).to.include({
      runner: "dataflow",
      project: "test-project",
      region: "europe-west1",
      tempLocation: "gs://test-bucket/temp",
      stagingLocation: "gs://test-bucket/staging",
      jobName: "alerts-streaming",
      serviceAccountEmail: "worker@test-project.iam.gserviceaccount.com",
      enableStreamingEngine: true,
      workerMachineType: "n2-standard-2",
      subscription: "projects/test-project/subscriptions/video-playback-events-sub",
      sink: "bigquery",
    });
    expect(args.options.bufferThresholdMs).to.equal(3000);
  });

  it("gives the catalog's batch job its gs:// --input and dataset, and refuses a launch whose input is not in Cloud Storage", () => {
    const environment = ["--runner=DataflowRunner", "--project=test-project", "--region=europe-west1", "--temp_location=gs://test-bucket/temp", "--sdk_container_image=worker:1"];
    const command = launchCommandLine("catalog", [...environment, "--input=gs://imdb-data/imdb/title.*.tsv.gz", "--dataset=analytics"]);
    expect(command.ignored).to.deep.equal([]);
    const args = parseArgs(command.argv) as ParsedArgs;
    expect(args.pipeline.name).to.equal("catalog");
    expect(args.settings).to.include({ runner: "dataflow", input: "gs://imdb-data/imdb/title.*.tsv.gz", dataset: "analytics", sink: "bigquery", tempLocation: "gs://test-bucket/temp" });
    expect(() => parseArgs(launchCommandLine("catalog", [...environment, "--input=/srv/imdb/title.basics.tsv.gz"]).argv)).to.throw(/--input must be a gs:\/\/bucket\/objects name or glob .* on --runner=dataflow/);
  });

  it("takes a blank parameter as absent, accumulates experiments and labels, and honours --no_use_public_ips, --update, --dataflow_kms_key and --template_location", () => {
    const key = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k";
    const command = launchCommandLine("ott", [
      "--runner=DataflowRunner",
      "--project=test-project",
      "--region=europe-west1",
      "--temp_location=gs://test-bucket/temp",
      "--sdk_container_image=worker:1",
      "--template_location=gs://test-bucket/launches/job.json",
      "--experiments=a",
      "--experiments=b,c",
      "--labels=team=video",
      '--labels={"env":"prod"}',
      "--no_use_public_ips",
      "--update",
      `--dataflow_kms_key=${key}`,
      "--subscription=",
      "--timestampAttribute=",
      "--paneDelaySec=",
    ]);
    const args = parseArgs(command.argv) as ParsedArgs;
    expect(args.settings).to.include({ experiments: "a,b,c", labels: "team=video,env=prod", usePublicIps: false, update: true, dataflowKmsKey: key, templateLocation: "gs://test-bucket/launches/job.json", paneDelaySec: 10 });
    expect((args.settings as Record<string, unknown>).subscription).to.equal(undefined);
    expect((args.settings as Record<string, unknown>).timestampAttribute).to.equal(undefined);
    expect(command.argv.filter((a) => a.endsWith("="))).to.deep.equal([]);
  });

  it("templates/launcher.py execs node on the launcher entry point with the pipeline, the baked worker image, then the launcher's arguments", function () {
    if (spawnSync("python3", ["--version"]).status !== 0) return this.skip();
    const script = "import json, sys, launcher; print(json.dumps(launcher.command(sys.argv[1:], {'BEAM_VIDEO_PIPELINE': 'ott', 'BEAM_VIDEO_WORKER_IMAGE': 'worker:1'})))";
    const run = spawnSync("python3", ["-c", script, "--region=europe-west1", "--dataset=analytics"], { cwd: join(ROOT, TEMPLATES_DIR), encoding: "utf8" });
    expect(run.status, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal([
      "node",
      join(ROOT, TEMPLATES_DIR, "dist", "cli", "flex-launch.js"),
      "ott",
      "--sdk_container_image=worker:1",
      "--region=europe-west1",
      "--dataset=analytics",
    ]);
  });
});

/** Every stage's COPY/ADD sources that come from the build context: they must exist in the repository. */
function contextSources(stages: readonly Stage[]): string[] {
  return stages.flatMap((s) =>
    s.instructions
      .filter((i) => (i.keyword === "COPY" || i.keyword === "ADD") && i.flags.from === undefined)
      .flatMap((i) => i.args.slice(0, -1))
      .filter((source) => !/^https?:\/\//.test(source)),
  );
}

describe("Dockerfiles", () => {
  const dockerignore = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));

  for (const file of ["Dockerfile", join(TEMPLATES_DIR, "launcher.Dockerfile")]) {
    describe(file, () => {
      const parsed = parseDockerfile(readFileSync(join(ROOT, file), "utf8"));
      const names = parsed.stages.map((s) => s.name);

      it("parses, and copies only files of the repository that the build context keeps, or files of its own stages", () => {
        expect(parsed.stages.length).to.be.greaterThan(1);
        for (const source of contextSources(parsed.stages)) {
          expect(existsSync(join(ROOT, source)), `${file}: COPY ${source}`).to.equal(true);
          if (source !== ".") expect(dockerignore, `${file}: ${source} is excluded by .dockerignore`).to.not.include(source.replace(/\/$/, ""));
        }
        for (const stage of parsed.stages) {
          for (const i of stage.instructions.filter((x) => x.flags.from !== undefined)) {
            expect(names.includes(i.flags.from), `${file}:${i.line}: --from=${i.flags.from} names no earlier stage`).to.equal(true);
            expect(names.indexOf(i.flags.from)).to.be.lessThan(parsed.stages.indexOf(stage));
          }
        }
      });

      it("runs Node 20", () => {
        expect(parsed.stages.filter((s) => s.image.startsWith("node:")).map((s) => s.image)).to.satisfy((images: string[]) => images.length > 0 && images.every((i) => i.startsWith("node:20")));
      });
    });
  }

  it("the worker image (root Dockerfile, last stage) is Beam's TypeScript boot program of the installed SDK's version, over the project's node_modules", () => {
    const parsed = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
    const beam = parsed.stages.find((s) => s.image.startsWith("apache/beam_typescript_sdk:"))!;
    expect(beam.image).to.equal(`apache/beam_typescript_sdk:${require("apache-beam/version").version}`);
    const worker = parsed.stages[parsed.stages.length - 1];
    const entrypoint = worker.instructions.find((i) => i.keyword === "ENTRYPOINT")!;
    expect(JSON.parse(entrypoint.args[0])).to.deep.equal(["/opt/apache/beam/boot"]);
    expect(worker.instructions.filter((i) => i.keyword === "COPY").map((i) => `${i.flags.from} ${i.args[0]}`)).to.include.members([`${beam.name} /opt/apache/beam`, "build /app/node_modules"]);
  });

  it("the launcher image runs templates/launcher.py, which finds the built entry point, with the pinned Beam, its job service's Python and the expansion jar", () => {
    const parsed = parseDockerfile(readFileSync(join(ROOT, TEMPLATES_DIR, "launcher.Dockerfile"), "utf8"));
    const launcher = parsed.stages[parsed.stages.length - 1];
    expect(launcher.image).to.match(/^gcr\.io\/dataflow-templates-base\/python3[0-9]+-template-launcher-base/);
    expect(parsed.args.BEAM_VERSION).to.equal(require("apache-beam/version").version);
    const runs = launcher.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args[0]);
    expect(runs.some((r) => r.includes('"apache-beam[gcp]==${BEAM_VERSION}"'))).to.equal(true);
    expect(runs.some((r) => /openjdk-[0-9]+-jre/.test(r))).to.equal(true);

    // The shim is copied where FLEX_TEMPLATE_PYTHON_PY_FILE points, beside the dist/ its entry point lives in.
    const workdir = launcher.instructions.filter((i) => i.keyword === "WORKDIR").pop()!.args[0];
    const copies = launcher.instructions.filter((i) => i.keyword === "COPY");
    const shim = copies.find((i) => i.args[0] === "templates/launcher.py")!;
    expect(envValue(launcher, "FLEX_TEMPLATE_PYTHON_PY_FILE")).to.equal(join(workdir, shim.args[1]));
    expect(copies.some((i) => i.flags.from === "build" && i.args[0] === "/app/dist" && join(workdir, i.args[1]) === join(workdir, "dist"))).to.equal(true);
    expect(existsSync(join(ROOT, "dist", "cli", "flex-launch.js"))).to.equal(true);

    // The SDK's services: Python (with apache-beam[gcp]) for the Dataflow job service, the downloaded jar for expansion.
    const overrides = JSON.parse(envValue(launcher, "BEAM_SERVICE_OVERRIDES")!) as Record<string, string>;
    const jar = launcher.instructions.find((i) => i.keyword === "ADD" && /expansion-service-\$\{BEAM_VERSION\}\.jar$/.test(i.args[0]))!;
    expect(overrides[GCP_EXPANSION_SERVICE]).to.equal(jar.args[1]);
    expect(overrides["python:*"]).to.equal("python3");
    expect(envValue(launcher, "BEAM_VIDEO_PIPELINE")).to.equal("${PIPELINE}");
  });
});

describe("npm run template:build", () => {
  const dir = tempDir();

  it("runs gcloud dataflow flex-template build with the pipeline's metadata file, its launcher image, into the bucket's templates/", () => {
    const record = join(dir, "argv");
    writeFileSync(join(dir, "gcloud"), `#!/bin/sh\nprintf '%s\\n' "$@" > "${record}"\n`);
    chmodSync(join(dir, "gcloud"), 0o755);
    const image = "europe-docker.pkg.dev/test-project/beam-video-analytics/launcher-conversations:1";
    const run = runScript("cli/template-build.js", ["--pipeline", "conversations", "--image", image, "--bucket", "gs://test-bucket"], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    expect(run.status, run.stderr).to.equal(0);
    const argv = readFileSync(record, "utf8").trim().split("\n");
    expect(argv).to.deep.equal(gcloudArgs({ pipeline: "conversations", image, bucket: "test-bucket", printOnly: false }));
    expect(argv.slice(0, 4)).to.deep.equal(["dataflow", "flex-template", "build", "gs://test-bucket/templates/conversations.json"]);
    expect(argv).to.include.members([`--image=${image}`, "--sdk-language=PYTHON", "--metadata-file=templates/conversations.json", "--enable-streaming-engine"]);
  });

  it("builds the catalog's batch template without Streaming Engine", () => {
    const argv = gcloudArgs({ pipeline: "catalog", image: "launcher-catalog:1", bucket: "test-bucket", printOnly: false });
    expect(argv).to.include.members(["gs://test-bucket/templates/catalog.json", "--metadata-file=templates/catalog.json", "--sdk-language=PYTHON"]);
    expect(argv).to.not.include("--enable-streaming-engine");
  });

  it("stops with one line on a bad command line", () => {
    for (const args of [["--pipeline", "nope", "--image", "i", "--bucket", "b"], ["--pipeline", "alerts"]]) {
      const run = runScript("cli/template-build.js", args);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr.trim().split("\n")).to.have.length(1);
    }
  });

  for (const pipeline of ["ott", "catalog"]) {
    const streaming = PIPELINES[pipeline].snapshots === undefined;
    it(`gcloud itself (--printOnly, offline) builds ${pipeline}'s spec, carrying the metadata file as it is${streaming ? ", on Streaming Engine" : ": a batch job, no Streaming Engine"}`, function () {
      if (spawnSync("gcloud", ["--version"]).status !== 0) return this.skip();
      const image = `europe-docker.pkg.dev/test-project/beam-video-analytics/launcher-${pipeline}:1`;
      const run = runScript("cli/template-build.js", ["--pipeline", pipeline, "--image", image, "--bucket", "test-bucket", "--printOnly"]);
      expect(run.status, run.stderr).to.equal(0);
      const spec = JSON.parse(run.stdout.replace(/^\|-?\s*\n/, ""));
      expect(spec.image).to.equal(image);
      expect(spec.sdkInfo.language).to.equal("PYTHON");
      // gcloud keeps name, description and parameters of the file, and drops `streaming`: the default environment carries Streaming Engine instead.
      const metadata: Partial<TemplateMetadata> = readMetadata(pipeline);
      delete metadata.streaming;
      expect(spec.metadata).to.deep.equal(metadata);
      expect(spec.defaultEnvironment?.enableStreamingEngine === true).to.equal(streaming);
    });
  }
});
