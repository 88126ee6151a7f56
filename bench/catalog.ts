import { spawnSync } from "child_process";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "fs";
import { once } from "events";
import { cpus, tmpdir, totalmem } from "os";
import { join } from "path";
import { createGzip } from "zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { formatCount } from "../pipelines/format";
import { catalogLines } from "../samples/catalog";

/** A title.basics.tsv.gz of `lines` titles in IMDb's layout (the sample generator's filler, broken lines included). */
async function writeBasics(path: string, lines: number): Promise<void> {
  const gzip = createGzip({ level: 6 });
  const done = new Promise((resolve, reject) => gzip.pipe(createWriteStream(path)).on("finish", resolve).on("error", reject));
  let batch: string[] = [];
  for (const { file, line } of catalogLines({ seed: 2024, titles: lines - 21 })) {
    if (file !== "basics") continue;
    batch.push(line);
    if (batch.length === 10_000) {
      if (!gzip.write(batch.join("\n") + "\n")) await once(gzip, "drain");
      batch = [];
    }
  }
  gzip.end(batch.join("\n") + "\n");
  await done;
}

interface Measured {
  label: string;
  ms: number;
  maxRssMb: number;
}

/** Runs `args` in a child Node process and reads its peak RSS from the kernel (what `time -v` reports). */
function measure(label: string, args: string[]): Measured {
  const started = Date.now();
  const child = spawnSync("/usr/bin/time", ["-f", "MAXRSS %M", process.execPath, ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (child.status !== 0) throw new Error(`${label} failed:\n${child.stderr}`);
  const rss = /MAXRSS (\d+)/.exec(child.stderr);
  return { label, ms: Date.now() - started, maxRssMb: rss ? Number(rss[1]) / 1024 : NaN };
}

/** DuckDB's own reader of the same file: read_csv with IMDb's tab, header and \N, into a table (no dead letters: bad lines are skipped). */
export async function duckdbReadCsv(file: string, warehouse: string): Promise<void> {
  const instance = await DuckDBInstance.create(warehouse);
  const connection = await instance.connect();
  await connection.run(
    `CREATE TABLE title_basics AS SELECT * FROM read_csv('${file.replace(/'/g, "''")}', delim = '\\t', header = true, nullstr = '\\N', quote = '', ignore_errors = true)`,
  );
  connection.closeSync();
  instance.closeSync();
}

/** `npm run bench -- catalog --lines N`: the catalog pipeline over a title.basics.tsv.gz of N lines, beside DuckDB's read_csv of it. */
export async function catalogBenchmark(lines: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bva-bench-"));
  try {
    const input = join(dir, "title.basics.tsv.gz");
    await writeBasics(input, lines);
    const results = [
      measure("catalog pipeline, direct runner", [join(__dirname, "..", "cli", "main.js"), "catalog", "--input", input, "--warehouse", join(dir, "pipeline.duckdb")]),
      measure("DuckDB read_csv, same file", [join(__dirname, "catalog-read-csv.js"), input, join(dir, "read-csv.duckdb")]),
    ];
    console.log(`catalog benchmark: title.basics.tsv.gz of ${formatCount(lines)} lines (${(statSync(input).size / 1e6).toFixed(0)} MB gzip), one in 1,000 broken`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
    console.log("");
    console.log(`${"run".padEnd(34)} ${"lines/s".padStart(10)} ${"seconds".padStart(8)} ${"peak RSS".padStart(10)}`);
    for (const r of results) {
      console.log(`${r.label.padEnd(34)} ${formatCount((lines / r.ms) * 1000).padStart(10)} ${(r.ms / 1000).toFixed(1).padStart(8)} ${`${formatCount(r.maxRssMb)} MB`.padStart(10)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
