import { expect } from "chai";
import { spawnSync } from "child_process";
import { writeFileSync } from "fs";
import { join } from "path";
import { Writer } from "protobufjs";
import { Schema } from "apache-beam/proto/schema";
import { beamRow, beamSchema, tableRowCoder } from "../../runners/portable/rows";
import { portableTargets, sampleRow } from "../support/bigquery-rows";
import { beamPython, TEST_PYTHON_PATH } from "../support/python-beam";
import { ROOT, tempDir } from "../helpers";

describe("BigQuery rows decoded by Beam's Python RowCoder (apache-beam 2.49.0), an implementation of the row coding besides ours", function () {
  this.timeout(30 * 60_000);
  const dir = tempDir();

  it("every table's rows, as the portable runners encode them, decode to the same values: microseconds and large integers exact, doubles, nulls, nested records", () => {
    const python = beamPython();
    const targets = portableTargets();
    const expected = targets.map((table) => [0, 1, 2].map((seed) => beamRow(table, sampleRow(table.fields, seed))));
    const cases = targets.map((table, i) => {
      const coder = tableRowCoder(table);
      const rows = expected[i].map((row) => {
        const writer = new Writer();
        coder.encode(row, writer, undefined as never);
        return Buffer.from(writer.finish()).toString("base64");
      });
      return { schema: Buffer.from(Schema.toBinary(beamSchema(table))).toString("base64"), rows };
    });
    const input = join(dir, "rows.json");
    writeFileSync(input, JSON.stringify(cases));
    const run = spawnSync(python, [join(ROOT, "test", "support", "python", "decode_rows.py"), input], { encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, PYTHONPATH: TEST_PYTHON_PATH } });
    expect(run.status, run.stderr.slice(-2000)).to.equal(0);
    const decoded = JSON.parse(run.stdout) as unknown[][];
    targets.forEach((table, i) => expect(decoded[i], table.name).to.deep.equal(expected[i]));
  });
});
