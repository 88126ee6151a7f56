import { expect } from "chai";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { JsonlSink } from "../../io/sinks/jsonl-sink";
import { Row } from "../../schemas/table";
import { tempDir } from "../helpers";
import { column, progress, summing, testTable, totals } from "../support/sink-fixtures";

const events = testTable("events", [column("id", "STRING", "REQUIRED")]);




/** A sink on `directory` as a run opens it; a run killed with -9 is one whose sink is dropped without close(). */
async function open(directory: string): Promise<JsonlSink> {
  const sink = new JsonlSink(directory);
  await sink.open([events, totals], new Map([[totals.name, summing]]));
  return sink;
}

/** One input unit's effects: its event rows, and a pane counting them. */
const unit = (ids: string[]) => new Map<string, Row[]>([[events.name, ids.map((id) => ({ id }))], [totals.name, [{ k: "all", n: ids.length }]]]);

describe("JSONL sink: a kill -9 anywhere leaves the ledger, the rows and the merged states agreeing", () => {
  const dir = tempDir();

  it("a commit line cut short by the kill is dropped, and the next commit's line is read whole", async () => {
    const directory = join(dir, "torn");
    await (await open(directory)).write(unit(["a", "b"]), progress(["u1"]));
    // Killed while the second commit's journal line was being written: part of it reached the file, no newline.
    const journal = join(directory, "_commits.jsonl");
    const line = readFileSync(journal, "utf8");
    appendFileSync(journal, line.slice(0, line.length >> 1));
    // The next run commits the second unit again (it was not in the ledger), then is killed too.
    const rerun = await open(directory);
    expect(await rerun.committedUnits("p", ["u1", "u2"])).to.deep.equal(new Set(["u1"]));
    await rerun.write(unit(["c"]), progress(["u2"]));
    const last = await open(directory);
    expect(await last.committedUnits("p", ["u1", "u2"])).to.deep.equal(new Set(["u1", "u2"]));
    expect(await last.storedKeys(events.name, ["a", "b", "c"])).to.deep.equal(new Set(["a", "b", "c"]));
    await last.close();
    expect(readFileSync(join(directory, "totals.jsonl"), "utf8")).to.equal(`${JSON.stringify({ k: "all", n: 3 })}\n`);
  });

  it("rows a run appended before its first commit line are not taken as stored (they would be skipped as counted)", async () => {
    const directory = join(dir, "before-first");
    await open(directory);
    // Killed after appending the first commit's event rows, before its journal line.
    writeFileSync(join(directory, "events.jsonl"), `${JSON.stringify({ id: "a" })}\n`);
    const rerun = await open(directory);
    expect(await rerun.committedUnits("p", ["u1"])).to.deep.equal(new Set());
    expect(await rerun.storedKeys(events.name, ["a"])).to.deep.equal(new Set());
    await rerun.write(unit(["a"]), progress(["u1"]));
    await rerun.close();
    expect(readFileSync(join(directory, "events.jsonl"), "utf8")).to.equal(`${JSON.stringify({ id: "a" })}\n`);
    expect(readFileSync(join(directory, "totals.jsonl"), "utf8")).to.equal(`${JSON.stringify({ k: "all", n: 1 })}\n`);
  });

  it("rows of a directory written before the journal existed stay, also after a run killed before its first commit", async () => {
    const directory = join(dir, "before-journal");
    mkdirSync(directory);
    writeFileSync(join(directory, "events.jsonl"), `${JSON.stringify({ id: "a" })}\n`);
    await open(directory);
    const rerun = await open(directory);
    expect(await rerun.storedKeys(events.name, ["a"])).to.deep.equal(new Set(["a"]));
    expect(readFileSync(join(directory, "events.jsonl"), "utf8")).to.equal(`${JSON.stringify({ id: "a" })}\n`);
  });
});
