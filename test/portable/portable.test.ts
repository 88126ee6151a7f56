import { expect } from "chai";
import { AccumulationMode_Enum, DockerPayload, IsBounded_Enum, ParDoPayload, Pipeline, Trigger, WindowingStrategy } from "apache-beam/proto/beam_runner_api";
import { parseArgs, ParsedArgs } from "../../cli/args";
import { PORTABLE_RUNNERS } from "../../pipelines/options";
import { PortableSettings } from "../../runners/settings";
import { TOPICS } from "../../io/pubsub/names";
import { DEFAULT_DATASET } from "../../io/sinks/bigquery-sink";
import { PIPELINES } from "../../pipelines/registry";
import { TableSpec } from "../../schemas/table";
import { PACKAGE_NAME } from "../../transforms/core/registry";
import { mergedTables } from "../../runners/portable/rows";
import { DATAFLOW_JOB_SERVICE, GCP_EXPANSION_SERVICE, runPortable, sdkOptions } from "../../runners/portable/submit";
import { ExpansionDouble, JobServiceDouble, startExpansionDouble, startJobServiceDouble } from "../support/beam-doubles";
import { bigQueryWriteConfig, BIGQUERY_READ_URN, BIGQUERY_WRITE_URN, externalConfig, optionsOf, packageJsonOf, PUBSUB_READ_URN, rowSchemaOf, transformsWithUrn } from "../support/pipeline-proto";
import { runCliAsync } from "../support/run-async";
import { refusedColumns } from "../support/storage-write-api";
import { bigQuerySchema } from "../../schemas/bigquery";
import { runCli } from "../helpers";

/** The settings of a command line for a portable runner. */
function portableSettings(args: ParsedArgs): PortableSettings {
  if (args.settings.runner === "direct") throw new Error("expected a portable runner");
  return args.settings;
}

const PROJECT = "test-project";
const IMAGE = "europe-docker.pkg.dev/test-project/beam-video-analytics/worker:test";

/** The flags each portable runner needs here, pointed at the job service double. */
function runnerFlags(runner: string, jobEndpoint: string): string[] {
  const common = [`--runner=${runner}`, `--project=${PROJECT}`, `--sdkContainerImage=${IMAGE}`];
  if (runner === "dataflow") return [...common, "--region=europe-west1", "--tempLocation=gs://test-bucket/temp", "--maxNumWorkers=3"];
  return [...common, `--jobEndpoint=${jobEndpoint}`];
}

/** Every table a pipeline's BigQuery writes must reach: each table, a merged one through its versions and state tables. */
function expectedTargets(pipeline: string): TableSpec[] {
  const definition = PIPELINES[pipeline];
  return definition.tables.flatMap((t) => (definition.merges?.has(t.name) ? Object.values(mergedTables(t)) : [t]));
}

/** The environment the TypeScript steps run in, found through a ParDo of the project's. */
function typescriptEnvironment(pipeline: Pipeline): string {
  const pardo = Object.values(pipeline.components!.transforms).find((t) => t.spec?.urn === "beam:transform:pardo:v1" && t.uniqueName.includes("ToChunks"));
  return pardo!.environmentId;
}

/** The windowing strategy of every GroupByKey's input, by the GroupByKey's name. */
function groupingStrategies(pipeline: Pipeline): Map<string, WindowingStrategy> {
  const components = pipeline.components!;
  const groupings = Object.values(components.transforms).filter((t) => t.spec?.urn === "beam:transform:group_by_key:v1");
  return new Map(groupings.map((t) => [t.uniqueName, components.windowingStrategies[components.pcollections[Object.values(t.inputs)[0]].windowingStrategyId]] as const));
}

/** Beam's AfterProcessingTime.pastFirstElementInPane().plusDelayOf(seconds), as the proto spells it. */
const afterDelay = (seconds: number): Trigger => ({
  trigger: { oneofKind: "afterProcessingTime", afterProcessingTime: { timestampTransforms: [{ timestampTransform: { oneofKind: "delay", delay: { delayMillis: BigInt(seconds * 1000) } } }] } },
});

describe("portable runners (expansion service and job service doubles)", function () {
  let expansion: ExpansionDouble;
  let jobs: JobServiceDouble;
  const savedOverrides = process.env.BEAM_SERVICE_OVERRIDES;
  const debug = console.debug;

  before(async () => {
    expansion = await startExpansionDouble();
    jobs = await startJobServiceDouble();
    // The SDK's own switch: its Java expansion service and Python Dataflow job service become the doubles.
    const overrides: Record<string, string> = {};
    overrides[GCP_EXPANSION_SERVICE] = expansion.address;
    overrides[`python:${DATAFLOW_JOB_SERVICE}`] = jobs.address;
    process.env.BEAM_SERVICE_OVERRIDES = JSON.stringify(overrides);
    console.debug = () => undefined; // the SDK narrates every submission step
  });

  after(async () => {
    console.debug = debug;
    if (savedOverrides === undefined) delete process.env.BEAM_SERVICE_OVERRIDES;
    else process.env.BEAM_SERVICE_OVERRIDES = savedOverrides;
    await expansion.close();
    await jobs.close();
  });

  // The catalog (snapshot files) runs on the direct runner only (docs/catalog.md).
  for (const name of Object.keys(PIPELINES).filter((n) => PIPELINES[n].snapshots === undefined)) {
    for (const runner of PORTABLE_RUNNERS) {
      it(`${name} on ${runner}: the submitted graph reads Pub/Sub and writes BigQuery cross-language, in a docker environment, as a streaming job`, async () => {
        const before = { prepared: jobs.prepared.length, staged: jobs.staged.length, runs: jobs.runs.length };
        const args = parseArgs([name, ...runnerFlags(runner, jobs.address)]) as ParsedArgs;
        const job = await runPortable(args.pipeline, args.options, portableSettings(args));

        expect(jobs.prepared.length).to.equal(before.prepared + 1);
        expect(jobs.runs.map((r) => r.preparationId)).to.include(`preparation-${jobs.prepared.length}`);
        expect(job.jobId).to.equal(`job-${jobs.runs.length}`);
        expect(job.state).to.equal("RUNNING");
        const request = jobs.prepared[jobs.prepared.length - 1];
        const pipeline = request.pipeline!;
        const transforms = Object.values(pipeline.components!.transforms);

        // Pub/Sub through the SDK's cross-language read, of the pipeline's subscription; its output unbounded.
        const reads = transformsWithUrn(pipeline, PUBSUB_READ_URN);
        expect(reads).to.have.length(1);
        expect(externalConfig(reads[0]).subscription).to.equal(`projects/${PROJECT}/subscriptions/${TOPICS[name].subscription}`);
        expect(pipeline.components!.pcollections[Object.values(reads[0].outputs)[0]].isBounded).to.equal(IsBounded_Enum.UNBOUNDED);

        // One cross-language BigQuery write per table, into the existing table, fed with rows of the table's columns, of types BigQuery accepts.
        const writes = transformsWithUrn(pipeline, BIGQUERY_WRITE_URN);
        const targets = expectedTargets(name);
        expect(writes.map((w) => bigQueryWriteConfig(w).table).sort()).to.deep.equal(targets.map((t) => `${PROJECT}:${DEFAULT_DATASET}.${t.name}`).sort());
        for (const write of writes) {
          const config = bigQueryWriteConfig(write);
          expect(config.createDisposition).to.equal("Never");
          const target = targets.find((t) => config.table === `${PROJECT}:${DEFAULT_DATASET}.${t.name}`)!;
          const schema = rowSchemaOf(pipeline, Object.values(write.inputs)[0]);
          expect(schema.fields.map((f) => f.name)).to.deep.equal(target.fields.map((f) => f.name));
          expect(refusedColumns(bigQuerySchema(target), schema), target.name).to.deep.equal([]);
        }

        // Nothing of the direct runner: no in-process source or collector, no impulse-fed input.
        expect(transforms.filter((t) => /ReadChunks|Collect\(/.test(t.uniqueName)).map((t) => t.uniqueName)).to.deep.equal([]);
        expect(transforms.filter((t) => t.spec?.urn === "beam:transform:impulse:v1")).to.deep.equal([]);

        // The TypeScript steps run in the given worker image, which installs the project and apache-beam 2.49.0.
        const environment = pipeline.components!.environments[typescriptEnvironment(pipeline)];
        expect(environment.urn).to.equal("beam:env:docker:v1");
        expect(DockerPayload.fromBinary(environment.payload).containerImage).to.equal(IMAGE);
        expect(Object.values(pipeline.components!.environments).map((e) => e.urn)).to.not.include("js_default");
        const staged = jobs.staged.slice(before.staged);
        expect(staged.map((a) => `${a.roleUrn} ${a.role} ${packageJsonOf(a.data).name}`).sort()).to.deep.equal([
          `beam:artifact:type:npm:v1  ${PACKAGE_NAME}`,
          "beam:artifact:type:npm:v1 apache-beam apache-beam",
          "beam:artifact:type:npm_dep:v1 apache-beam-unused apache-beam",
        ]);
        expect(packageJsonOf(staged.find((a) => a.role === "apache-beam")!.data).version).to.equal(require("apache-beam/version").version);

        // The options: streaming, Beam's names, the runner's own, and the modules workers require (the pure transforms, by reference).
        const options = optionsOf(request.pipelineOptions);
        expect(options.streaming).to.equal(true);
        expect(options.project).to.equal(PROJECT);
        expect(options.sdk_container_image).to.equal(IMAGE);
        expect(options.job_name).to.match(new RegExp(`^${name}-[0-9]{8}-[0-9]{6}$`));
        expect(request.jobName).to.equal(options.job_name);
        for (const spec of args.pipeline.options) expect(options[spec.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)], spec.name).to.equal(args.options[spec.name]);
        expect(options.registered_node_modules).to.include.members([`${PACKAGE_NAME}/runners/portable/rows`, `${PACKAGE_NAME}/transforms/core/parse-records`]);
        expect(options).to.not.have.any.keys("runner", "source", "sink", "expansion_service");
        // Flink would hold back what a bundle finished during a checkpoint emits until more input comes.
        if (runner === "flink") expect(options.finish_bundle_before_checkpointing).to.equal(true);
        else expect(options).to.not.have.property("finish_bundle_before_checkpointing");

        // Every grouping fires accumulating panes on processing time, whatever the source's watermark does:
        // the global window (conversations) repeatedly; event-time windows (OTT views) early, on time, then late within the allowed lateness.
        const paneDelay = afterDelay(portableSettings(args).paneDelaySec);
        // ...but the catalog's titles, a bounded read gathered once into the side input (below).
        for (const [grouping, strategy] of [...groupingStrategies(pipeline)].filter((g) => !g[0].startsWith("AllTitles"))) {
          expect(strategy.accumulationMode, grouping).to.equal(AccumulationMode_Enum.ACCUMULATING);
          if (strategy.windowFn!.urn === "beam:window_fn:global_windows:v1") {
            expect(strategy.trigger, grouping).to.deep.equal({ trigger: { oneofKind: "repeat", repeat: { subtrigger: paneDelay } } });
          } else {
            expect(strategy.trigger, grouping).to.deep.equal({ trigger: { oneofKind: "afterEndOfWindow", afterEndOfWindow: { earlyFirings: paneDelay, lateFirings: paneDelay } } });
            expect(strategy.allowedLateness, grouping).to.equal(BigInt((args.options as { allowedLatenessSec: number }).allowedLatenessSec * 1000));
          }
        }
        // The OTT views' titles: Beam Java's BigQuery read of title_basics, bounded, gathered into one snapshot,
        // the side input of the step that fills titles; nothing else reads it.
        const catalogReads = transformsWithUrn(pipeline, BIGQUERY_READ_URN);
        if (args.pipeline.readsCatalog) {
          expect(catalogReads.map((r) => bigQueryWriteConfig(r).query)).to.deep.equal([
            `SELECT tconst, primaryTitle AS title, genres[SAFE_OFFSET(0)] AS genre FROM \`${PROJECT}.${DEFAULT_DATASET}.title_basics\``,
          ]);
          expect(pipeline.components!.pcollections[Object.values(catalogReads[0].outputs)[0]].isBounded).to.equal(IsBounded_Enum.BOUNDED);
          const fill = transforms.filter((t) => t.uniqueName === "map(TitlesFromCatalog)");
          expect(fill).to.have.length(1);
          expect(Object.keys(ParDoPayload.fromBinary(fill[0].spec!.payload).sideInputs)).to.deep.equal(["side.catalog"]);
          const producer = (pcollection: string) => transforms.find((t) => Object.values(t.outputs).includes(pcollection))!;
          const panes = producer(fill[0].inputs["side.catalog"]);
          expect(panes.uniqueName).to.equal("CatalogPanes");
          expect(producer(Object.values(panes.inputs)[0]).uniqueName).to.equal("map(CatalogSnapshot)");
        } else {
          expect(catalogReads).to.deep.equal([]);
        }
        if (runner === "dataflow") {
          expect(options).to.include({ region: "europe-west1", temp_location: "gs://test-bucket/temp", max_num_workers: 3 });
          expect(options.experiments).to.include("use_sibling_sdk_workers");
        } else {
          expect(options.job_endpoint).to.equal(jobs.address);
        }
      });
    }
  }

  it("passes the SDK no undefined option (its Struct.fromJson would crash) and none of this program's own flags", () => {
    const args = parseArgs(["alerts", "--runner=universal", "--jobEndpoint=127.0.0.1:1", "--expansionService=127.0.0.1:2"]) as ParsedArgs;
    const options = sdkOptions(args.pipeline.name, args.options, portableSettings(args));
    expect(Object.entries(options).filter((e) => e[1] === undefined)).to.deep.equal([]);
    expect(options).to.not.have.any.keys("runner", "source", "sink", "expansionService", "warehouse", "input");
    expect(options).to.include({ jobEndpoint: "127.0.0.1:1", streaming: true, dataset: portableSettings(args).dataset });
    expect(options).to.not.have.property("subscription"); // not given: no key at all
  });

  it("npm run pipeline -- alerts --runner=universal --jobEndpoint=... submits to the job service: prepare, staging, run", async () => {
    const before = jobs.prepared.length;
    const env = { ...process.env };
    delete env.BEAM_SERVICE_OVERRIDES; // the flag points at the expansion service instead
    const run = await runCliAsync(["alerts", "--runner=universal", `--jobEndpoint=${jobs.address}`, `--expansionService=${expansion.address}`], env);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(new RegExp(`alerts: submitted to universal as job job-${jobs.runs.length}, state RUNNING`));
    expect(jobs.prepared.length).to.equal(before + 1);
    const pipeline = jobs.prepared[before].pipeline!;
    expect(transformsWithUrn(pipeline, PUBSUB_READ_URN)).to.have.length(1);
    expect(transformsWithUrn(pipeline, BIGQUERY_WRITE_URN).map((w) => bigQueryWriteConfig(w).table)).to.have.length(PIPELINES.alerts.tables.length);
  });

  it("npm run pipeline -- alerts --runner=dataflow submits through the SDK's Dataflow job service (here the double)", async () => {
    const before = jobs.prepared.length;
    const run = await runCliAsync(["alerts", ...runnerFlags("dataflow", "")], process.env);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/alerts: submitted to dataflow as job job-[0-9]+, state RUNNING/);
    expect(optionsOf(jobs.prepared[before].pipelineOptions)).to.include({ project: PROJECT, region: "europe-west1" });
  });

  it("a job service that does not answer ends the command with one line naming it, exit 1", async () => {
    const closed = await startJobServiceDouble();
    await closed.close(); // its port, with nothing listening any more
    const run = await runCliAsync(["alerts", "--runner=universal", `--jobEndpoint=${closed.address}`], process.env);
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr.trim().split("\n")).to.have.length(1);
    expect(run.stderr).to.match(new RegExp(`^error: submitting to universal at ${closed.address} failed: `));
  });
});

describe("portable runner flags", () => {
  const cases: [string[], RegExp][] = [
    [["alerts", "--runner=dataflow"], /^error: --runner=dataflow needs --project, --region, --tempLocation and --sdkContainerImage \(see --help\)$/],
    [["alerts", "--runner=dataflow", "--project=p"], /--runner=dataflow needs --region, --tempLocation and --sdkContainerImage/],
    // Beam's default TypeScript worker image runs Node 16; the project needs Node 18 or later.
    [["alerts", "--runner=dataflow", "--project=p", "--region=europe-west1", "--tempLocation=gs://bucket/t"], /^error: --runner=dataflow needs --sdkContainerImage \(see --help\)$/],
    [["alerts", "--runner=universal"], /--runner=universal needs --jobEndpoint/],
    [["alerts", "--runner=universal", "--jobEndpoint=job-server:8099"], /--jobEndpoint must be host:port/],
    [["alerts", "--runner=dataflow", "--project=p", "--region=europe-west1", "--tempLocation=/tmp", "--sdkContainerImage=i"], /--tempLocation must be a gs:\/\/bucket\/path/],
    [["alerts", "--runner=universal", "--jobEndpoint=h:1", "--input=a.jsonl"], /^error: --input configures a batch job; alerts on --runner=universal is a streaming job \(see --help\)$/],
    [["alerts", "--runner=universal", "--jobEndpoint=h:1", "--sink=duckdb"], /--sink=duckdb on --runner=universal needs the workers in this process: --environmentType=LOOPBACK/],
    [["alerts", "--runner=flink", "--jobEndpoint=h:1", "--environmentType=DOCKER", "--sink=jsonl"], /--sink=jsonl on --runner=flink needs the workers in this process/],
    [["alerts", "--runner=dataflow", "--project=p", "--region=europe-west1", "--tempLocation=gs://b/t", "--sink=duckdb"], /--sink must be bigquery on --runner=dataflow, got "duckdb"/],
    [["alerts", "--runner=flink", "--flinkMaster=h:8081"], /--flinkMaster needs --jobEndpoint/],
    [["alerts", "--runner=flink", "--sink=duckdb", "--warehouse=package.json"], /--warehouse package\.json exists and is not a DuckDB file/],
    [["alerts", "--runner=flink", "--sink=jsonl", "--outputDir=package.json"], /--outputDir package\.json is a file: give a directory/],
    [["alerts", "--runner=flink", "--environmentType=PROCESS"], /--environmentType must be one of/],
    [["alerts", "--runner=flink", "--source=file"], /--source must be pubsub on --runner=flink/],
    [["alerts", "--runner=universal", "--jobEndpoint=h:1", "--streaming=false"], /streaming job/],
    [["alerts", "--region=europe-west1"], /--region applies to --runner=dataflow only/],
    [["alerts", "--runner=flink", "--region=europe-west1"], /--region applies to --runner=dataflow only/],
    [["alerts", "--runner=universal", "--jobEndpoint=h:1", "--flinkMaster=h:8081"], /--flinkMaster applies to --runner=flink only/],
  ];
  for (const [args, message] of cases) {
    it(`${args.slice(1).join(" ")}: one line, exit 2, nothing started`, () => {
      const run = runCli(args);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr.trim().split("\n")).to.have.length(1);
      expect(run.stderr.trim()).to.match(message);
      expect(run.stdout).to.equal("");
    });
  }
});
