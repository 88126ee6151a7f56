import { expect } from "chai";
import { mismatches, showCounts } from "../../bench/check";

describe("the benchmarks' result check", () => {
  const reference = { rows: 10, dead_letters: 2 };

  it("passes runs that agree, and runs that do not report a count", () => {
    expect(mismatches(reference, [{ label: "peer", counts: { rows: 10, dead_letters: 2 } }, { label: "duckdb", counts: { rows: 10, viewsMs: 5 } }, { label: "loop" }])).to.deep.equal([]);
  });

  it("names every run and count that differs", () => {
    expect(mismatches(reference, [{ label: "peer", counts: { rows: 9, dead_letters: 3 } }])).to.deep.equal(["peer: rows 9, expected 10", "peer: dead_letters 3, expected 2"]);
  });

  it("shows only the named counts", () => {
    expect(showCounts({ rows: 1234, dead_letters: 5, viewsMs: 9 }, ["rows", "dead_letters"])).to.equal("rows 1,234 / dead_letters 5");
  });
});
