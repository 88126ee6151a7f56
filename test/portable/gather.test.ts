import * as beam from "apache-beam";
import { directRunner } from "apache-beam/runners/direct_runner";
import { assertDeepEqual } from "apache-beam/testing/assert";
import { gatherAll } from "../../runners/portable/rows";

const sorted = (values: Iterable<number>): number[] => [...values].sort((a, b) => a - b);
const isUndefined = (value: unknown): boolean => value === undefined;

/** runners/portable/rows.ts's gatherAll, on the SDK's direct runner, beside the SDK's groupGlobally it replaces. */
describe("gatherAll: every element as one iterable (the SDK's groupGlobally gives undefined)", function () {
  this.timeout(60_000);
  const quiet = <T>(run: () => Promise<T>): Promise<T> => {
    const debug = console.debug;
    console.debug = () => undefined;
    return run().finally(() => (console.debug = debug));
  };

  it("gathers every element once", () =>
    quiet(() =>
      directRunner().run((root) => {
        root.apply(beam.create([3, 1, 2, 2])).apply(gatherAll<number>("All")).map(sorted).apply(assertDeepEqual([[1, 2, 2, 3]]));
      }),
    ));

  it("the SDK's groupGlobally (apache-beam 2.49) emits undefined, the defect gatherAll works around: when this fails, the SDK is fixed", () =>
    quiet(() =>
      directRunner().run((root) => {
        root.apply(beam.create([1, 2])).apply(beam.groupGlobally<number>()).map(isUndefined).apply(assertDeepEqual([true]));
      }),
    ));
});
