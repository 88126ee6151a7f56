import { expect } from "chai";
import { mergeInto } from "../../io/sinks/merge";
import { Row } from "../../schemas/table";
import { latestPane } from "../../runners/portable/local-sink";

/** A merge that sums, as the OTT views' tallies do: merging two accumulating panes would count twice. */
const summing = { merge: (panes: readonly Row[]): Row => ({ ...panes[0], n: panes.reduce((t, p) => t + (p.n as number), 0) }), output: (state: Row): Row => ({ n: state.n }) };

describe("local sinks behind a portable runner: accumulating panes", () => {
  it("the newest pane of a key replaces the stored one, whatever order they come in", () => {
    const spec = latestPane(summing);
    const first = { n: 2, pane_job: 1, pane_index: 0 }, second = { n: 5, pane_job: 1, pane_index: 1 };
    const stored = mergeInto(spec, new Map(), new Map([["k", [first]]])).states;
    expect(mergeInto(spec, stored, new Map([["k", [second]]])).rows.get("k")).to.deep.equal({ n: 5 });
    expect(mergeInto(spec, new Map([["k", second]]), new Map([["k", [first]]])).rows.get("k")).to.deep.equal({ n: 5 });
  });

  it("a later job's panes replace an earlier job's, although its pane index starts again at 0", () => {
    const spec = latestPane(summing);
    const old = { n: 9, pane_job: 1, pane_index: 7 }, rerun = { n: 4, pane_job: 2, pane_index: 0 };
    expect(mergeInto(spec, new Map([["k", old]]), new Map([["k", [rerun]]])).rows.get("k")).to.deep.equal({ n: 4 });
  });
});
