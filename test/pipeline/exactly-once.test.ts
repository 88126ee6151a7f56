import { expect } from "chai";
import { spawn } from "child_process";
import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import { query, ROOT, runCli, runScript, tempDir, warehouseGrew, warehouseTables } from "../helpers";

/** Every table file of a JSONL output directory (not the commit journal), its lines sorted. */
function jsonlTables(directory: string): Record<string, string[]> {
  const tables: Record<string, string[]> = {};
  for (const file of readdirSync(directory).filter((f) => f.endsWith(".jsonl") && f !== "_commits.jsonl").sort()) {
    tables[file] = readFileSync(join(directory, file), "utf8").split("\n").filter((l) => l !== "").sort();
  }
  return tables;
}

/** Rows in the tables that hold the results (not the dead letters), so a comparison is never of empty tables. */
function resultRows(tables: Record<string, unknown[]>): number {
  return Object.entries(tables).filter(([name]) => !name.startsWith("dead_letter") && !name.startsWith("__")).reduce((n, [, rows]) => n + rows.length, 0);
}

/** Input units the ledger of a warehouse holds for `pipeline` (none before its first commit). */
async function committedUnits(warehouse: string, pipeline: string): Promise<number> {
  const ledger = await query(warehouse, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = '__committed_units'");
  if (ledger[0].n === "0") return 0;
  return Number((await query(warehouse, `SELECT count(*) AS n FROM __committed_units WHERE pipeline = '${pipeline}'`))[0].n);
}

const journalLines = (directory: string): number => {
  const journal = join(directory, "_commits.jsonl");
  return existsSync(journal) ? readFileSync(journal, "utf8").split("\n").filter((l) => l.trim() !== "").length : 0;
};

/**
 * Runs the CLI and kills it with SIGKILL as soon as `due` says so (a commit
 * landed or is being written, or some time passed). Resolves with whether it
 * was killed rather than finished.
 */
async function killWhen(args: readonly string[], due: () => boolean): Promise<boolean> {
  const child = spawn(process.execPath, [join(ROOT, "dist/cli/main.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const poll = setInterval(() => due() && child.kill("SIGKILL"), 20);
  const { code, signal } = await exit;
  clearInterval(poll);
  if (signal !== "SIGKILL") expect(code, output).to.equal(0);
  return signal === "SIGKILL";
}

const after = (ms: number): (() => boolean) => {
  const at = Date.now() + ms;
  return () => Date.now() >= at;
};

interface Case {
  pipeline: string;
  /** The publisher's kind of events for it. */
  kind: string;
  /** Events in the file: a few seconds' work, so a kill can fall mid-run. */
  count: number;
}

const CASES: Case[] = [
  { pipeline: "alerts", kind: "playback", count: 40_000 },
  { pipeline: "conversations", kind: "conversations", count: 20_000 },
  { pipeline: "ott", kind: "ott", count: 8_000 },
];

describe("exactly-once effect of file runs: re-runs and kill -9 change nothing", function () {
  this.timeout(300_000);
  const dir = tempDir();

  for (const { pipeline, kind, count } of CASES) {
    describe(pipeline, () => {
      const input = join(dir, `${pipeline}.jsonl`);
      const clean = join(dir, `${pipeline}-clean.duckdb`);
      let once: Record<string, Record<string, unknown>[]>;

      before(async () => {
        const made = runScript("publisher/cli.js", [kind, "--count", String(count), "--eps", "100000", "--seed", "12", "--startTime", "2025-10-27T08:00:00Z", "--output", "file", "--out", input]);
        expect(made.status, made.stderr).to.equal(0);
        const run = runCli([pipeline, "--input", input, "--warehouse", clean]);
        expect(run.status, run.stderr).to.equal(0);
        once = await warehouseTables(clean);
        expect(resultRows(once)).to.be.greaterThan(1000);
      });

      it("run twice into the same warehouse == run once, every table", async () => {
        const again = runCli([pipeline, "--input", input, "--warehouse", clean]);
        expect(again.status, again.stderr).to.equal(0);
        expect(await warehouseTables(clean)).to.deep.equal(once);
      });

      it("kill -9 after the first commit and again after the next one, then a run to the end == one clean run", async () => {
        const warehouse = join(dir, `${pipeline}-killed.duckdb`);
        const args = [pipeline, "--input", input, "--warehouse", warehouse];
        const total = await committedUnits(clean, pipeline);
        expect(await killWhen(args, warehouseGrew(warehouse)), "killed while its first commit was written or just after").to.equal(true);
        const afterFirst = await committedUnits(warehouse, pipeline);
        // Then mid-way through whatever is left (or, if the first commit held it all, at the end of a run with nothing to do).
        await killWhen(args, after(1500));
        const afterSecond = await committedUnits(warehouse, pipeline);
        const rest = runCli(args);
        expect(rest.status, rest.stderr).to.equal(0);
        expect(await warehouseTables(warehouse), `units committed after the kills: ${afterFirst}, ${afterSecond} of ${total}`).to.deep.equal(once);
      });
    });
  }

  describe("JSONL sink", () => {
    for (const { pipeline, kind } of CASES) {
      it(`${pipeline}: run twice into the same directory == run once`, () => {
        const input = join(dir, `${pipeline}-small.jsonl`);
        const made = runScript("publisher/cli.js", [kind, "--count", "1000", "--eps", "100000", "--seed", "13", "--startTime", "2025-10-27T08:00:00Z", "--output", "file", "--out", input]);
        expect(made.status, made.stderr).to.equal(0);
        const outputDir = join(dir, `${pipeline}-jsonl`);
        const args = [pipeline, "--input", input, "--sink", "jsonl", "--outputDir", outputDir];
        expect(runCli(args).status).to.equal(0);
        const once = jsonlTables(outputDir);
        expect(resultRows(once)).to.be.greaterThan(50);
        const again = runCli(args);
        expect(again.status, again.stderr).to.equal(0);
        expect(jsonlTables(outputDir)).to.deep.equal(once);
      });
    }

    it("ott: kill -9 after the first commit and after the next one, then a run to the end == one clean run", async () => {
      const input = join(dir, "ott.jsonl"); // written by the ott case above
      const cleanDir = join(dir, "ott-jsonl-clean"), killedDir = join(dir, "ott-jsonl-killed");
      expect(runCli(["ott", "--input", input, "--sink", "jsonl", "--outputDir", cleanDir]).status).to.equal(0);
      const args = ["ott", "--input", input, "--sink", "jsonl", "--outputDir", killedDir];
      expect(await killWhen(args, () => journalLines(killedDir) > 0), "killed right after its first commit").to.equal(true);
      await killWhen(args, after(1500));
      const rest = runCli(args);
      expect(rest.status, rest.stderr).to.equal(0);
      const once = jsonlTables(cleanDir);
      expect(resultRows(once)).to.be.greaterThan(1000);
      expect(jsonlTables(killedDir)).to.deep.equal(once);
    });
  });
});
