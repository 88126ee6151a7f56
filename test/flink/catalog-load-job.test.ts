import { expect } from "chai";
import { createHash } from "crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "fs";
import { basename, delimiter, dirname, join } from "path";
import { gzipSync } from "zlib";
import { SubprocessService } from "apache-beam/utils/service";
import { ENDPOINT_ENV, bigQueryClient } from "../../io/bigquery/client";
import { tableResource } from "../../io/bigquery/tables";
import { catalogPipeline } from "../../pipelines/catalog/pipeline";
import { installServices } from "../../runners/portable/beam-services";
import { LoadJobIo } from "../../runners/portable/load-job";
import { patientStart } from "../../runners/portable/submit";
import { catalogLines } from "../../samples/catalog";
import { SnapshotFileInfo } from "../../transforms/catalog/ingestion-log";
import { BigQueryServer } from "../support/bigquery-server";
import { beamPython } from "../support/python-beam";
import { runCliAsync, spawnAsync } from "../support/run-async";
import { ROOT, tempDir } from "../helpers";

const PROJECT = "load-job-project";
/** Columns that say when a run read a file, not what the file says. */
const RUN_TIME = new Set(["received_at", "run_date", "ingestion_id", "file_path", "started_at", "finished_at", "dead_letter_id", "source"]);

/**
 * The catalog's Dataflow job (runners/portable/load-job.ts: Python's read of
 * the files, the TypeScript transforms, Python's staging and BigQuery load
 * jobs) run for real on Beam's Flink job server: TypeScript workers in the
 * test's child process (LOOPBACK), the Python steps on Beam's Python workers
 * (a worker pool, the EXTERNAL environment Python's expansion service gives
 * them), loading into the local BigQuery API server. One semantics: every
 * table equals what the direct runner's `--sink bigquery` run loads from the
 * same files, through a first run and a run where one file changed.
 */
describe("Flink runner: the catalog's Dataflow job (Python read and load steps on Python workers) loads the direct runner's tables", function () {
  this.timeout(900_000);
  const dir = tempDir();
  const input = join(dir, "in");
  const server = new BigQueryServer();
  const services: SubprocessService[] = [];
  let endpoint: string;
  let overrides: string;
  const PATH = process.env.PATH;

  before(async () => {
    installServices((line) => console.log(`    ${line}`));
    mkdirSync(input, { recursive: true });
    const python = beamPython();
    // The pool starts each worker as `python`: Beam's venv's (restored after). Python's deprecation notices are noise here.
    process.env.PATH = `${dirname(python)}${delimiter}${PATH}`;
    process.env.PYTHONWARNINGS = "ignore::FutureWarning";
    const pool = patientStart(new SubprocessService(python, ["-m", "apache_beam.runners.worker.worker_pool_main", "--service_port={{PORT}}"], "Python worker pool")) as SubprocessService;
    services.push(pool);
    const poolAddress = await pool.start();
    const expansion = patientStart(
      new SubprocessService(python, ["-m", "apache_beam.runners.portability.expansion_service_main", "--port", "{{PORT}}", "--fully_qualified_name_glob=*", "--environment_type=EXTERNAL", `--environment_config=${poolAddress}`], "Python expansion service"),
    ) as SubprocessService;
    services.push(expansion);
    overrides = JSON.stringify({ "python:*": python, "python:apache_beam.runners.portability.expansion_service_main": await expansion.start() });
    endpoint = await server.start();
    const client = bigQueryClient({ project: PROJECT, endpoint });
    for (const dataset of ["direct", "job"]) {
      await client.createDataset(dataset, { projectId: PROJECT });
      for (const spec of catalogPipeline.tables) await client.dataset(dataset, { projectId: PROJECT }).createTable(spec.name, tableResource(spec));
    }
  });

  after(async () => {
    process.env.PATH = PATH;
    delete process.env.PYTHONWARNINGS;
    for (const service of services) await service.stop();
    await server.stop();
  });

  const lines = { basics: [] as string[], ratings: [] as string[] };
  for (const entry of catalogLines({ seed: 7, titles: 1500 })) lines[entry.file].push(entry.line);
  const withTitle = (line: string, title: string): string => line.split("\t").map((f, i) => (i === 2 ? title : f)).join("\t");
  const files = { basics: join(input, "title.basics.tsv.gz"), ratings: join(input, "title.ratings.tsv.gz") };

  /** What the job is given for a file: its MD5 and size, and whether the run found it unchanged. */
  const fileInfo = (path: string, table: string, unchanged: boolean): SnapshotFileInfo => ({ path, name: basename(path), table, md5: createHash("md5").update(readFileSync(path)).digest("hex"), size: statSync(path).size, unchanged });

  async function runDirect(): Promise<void> {
    const env = { ...process.env };
    env[ENDPOINT_ENV] = endpoint;
    const run = await runCliAsync(["catalog", "--input", join(input, "title.*.tsv.gz"), "--sink", "bigquery", "--project", PROJECT, "--dataset", "direct"], env);
    expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
  }

  async function runJob(name: string, unchanged: { basics: boolean; ratings: boolean }): Promise<void> {
    const io: LoadJobIo = {
      project: PROJECT,
      dataset: "job",
      staging: join(dir, "staged", name),
      jobPrefix: name,
      files: [fileInfo(files.basics, "title_basics", unchanged.basics), fileInfo(files.ratings, "title_ratings", unchanged.ratings)],
      startedAt: Date.now() * 1000,
      bigQueryEndpoint: endpoint,
    };
    const config = join(dir, `${name}.json`);
    writeFileSync(config, JSON.stringify(io));
    const started = Date.now();
    const run = await spawnAsync("node", [join(ROOT, "dist", "test", "support", "run-load-job.js"), config], { env: { ...process.env, BEAM_SERVICE_OVERRIDES: overrides } });
    console.log(`      flink job ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(run.status, `${run.stdout}\n${run.stderr.slice(-4000)}`).to.equal(0);
    expect(run.stdout.trim().split("\n").pop(), run.stderr.slice(-6000)).to.equal("DONE");
  }

  /** A dataset's tables, without the run-time columns, rows in a canonical order; the log's rows of the latest run only. */
  function tables(dataset: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const spec of catalogPipeline.tables) {
      let rows = server.rows(PROJECT, dataset, spec.name);
      if (spec.name === "ingestion_log") {
        const latest = rows.map((r) => String(r.started_at)).sort().pop();
        rows = rows.filter((r) => String(r.started_at) === latest);
      }
      out[spec.name] = rows.map((r) => JSON.stringify(Object.keys(r).filter((k) => !RUN_TIME.has(k)).sort().map((k) => [k, r[k]]))).sort();
    }
    return out;
  }

  function expectSameTables(): Record<string, string[]> {
    const direct = tables("direct");
    const job = tables("job");
    for (const table of Object.keys(direct)) expect(job[table], table).to.deep.equal(direct[table]);
    return direct;
  }

  it("first run: titles, ratings, dead letters and log rows equal the direct runner's, a repeated tconst's first line kept", async () => {
    const basics = [...lines.basics, withTitle(lines.basics[1], "Repeated"), "tt9999999\tmovie\tX\tX\tyes\t2000\t\\N\t1\tDrama"];
    writeFileSync(files.basics, gzipSync(`${basics.join("\n")}\n`));
    writeFileSync(files.ratings, gzipSync(`${lines.ratings.join("\n")}\n`));
    await runDirect();
    await runJob("catalog_job_1", { basics: false, ratings: false });
    const rows = expectSameTables();
    expect(rows.title_basics.length).to.be.greaterThan(1000);
    expect(rows.title_basics.some((r) => r.includes('"Repeated"'))).to.equal(false);
    expect(rows.dead_letter.length).to.be.greaterThan(0);
    expect(rows.ingestion_log).to.have.length(2);
  });

  it("one file changed: its table replaced (a removed title gone), the other kept, dead letters appended, two log rows", async () => {
    const basics = [lines.basics[0], withTitle(lines.basics[1], "Renamed"), ...lines.basics.slice(3)];
    writeFileSync(files.basics, gzipSync(`${basics.join("\n")}\n`));
    await runDirect();
    await runJob("catalog_job_2", { basics: false, ratings: true });
    const rows = expectSameTables();
    expect(rows.title_basics.some((r) => r.includes('"Renamed"'))).to.equal(true);
    expect(rows.title_basics.some((r) => r.includes(`"${lines.basics[2].split("\t")[0]}"`))).to.equal(false);
    expect(rows.ingestion_log.map((r) => JSON.parse(r).find((e: [string, unknown]) => e[0] === "skipped_unchanged")[1]).sort()).to.deep.equal([false, true]);
  });
});
