import { expect } from "chai";
import { Reader, Writer } from "protobufjs";
import { globalRegistry } from "apache-beam/coders/coders";
import { RowCoder } from "apache-beam/coders/row_coder";
import { AtomicType, Schema } from "apache-beam/proto/schema";
import { userEvents } from "../../schemas/ott";
import { FieldSpec, Row } from "../../schemas/table";
import { StandardRowCoder } from "../../runners/portable/row-coder";
import { beamRow, beamSchema, tableRowCoder } from "../../runners/portable/rows";
import { refusedColumns } from "../support/storage-write-api";
import { columnsOf, portableTargets, sampleRow } from "../support/bigquery-rows";

const encode = (coder: { encode(v: unknown, w: Writer, c: never): void }, row: Row): Uint8Array => {
  const writer = new Writer();
  coder.encode(row, writer, undefined as never);
  return writer.finish();
};

describe("BigQuery rows on portable runners (the Storage Write API's type mapping)", () => {
  const targets = portableTargets();

  it("covers every table the pipelines write, dead letters, versions and state tables included", () => {
    const names = targets.map((t) => t.name);
    expect(names).to.include.members(["dead_letter", "video_playback_alerts", "user_events", "customer_courier_conversations__versions", "customer_courier_conversations__state", "ott_engagement__versions"]);
  });

  for (const table of targets) {
    it(`${table.name}: every column, nested ones too, is row-coded with a type BigQuery accepts for its column type`, () => {
      expect(refusedColumns(columnsOf(table), beamSchema(table))).to.deep.equal([]);
    });
  }

  it("refuses text for FLOAT64 and TIMESTAMP columns (what the rows were coded as before; DATE takes text too)", () => {
    const asText = (fields: readonly FieldSpec[]): FieldSpec[] =>
      fields.map((f) => (f.type === "RECORD" ? { ...f, fields: asText(f.fields!) } : ["FLOAT64", "TIMESTAMP", "DATE"].includes(f.type) ? { ...f, type: "STRING" } : f));
    const problems = refusedColumns(columnsOf(userEvents), beamSchema({ ...userEvents, fields: asText(userEvents.fields) }));
    expect(problems).to.include.members([
      "timestamp: BigQuery TIMESTAMP does not accept proto string",
      "location.latitude: BigQuery FLOAT64 does not accept proto string",
    ]);
    expect(problems.filter((p) => p.startsWith("event_date"))).to.deep.equal([]);
  });

  it("codes INT64 as a 64-bit varint and DOUBLE as 8 big-endian bytes (Java's VarLongCoder and DoubleCoder), where the SDK's RowCoder cuts INT64 to 32 bits and has no DOUBLE", () => {
    const schema: Schema = {
      id: "t", options: [], encodingPositionsSet: false,
      fields: [
        { name: "at", description: "", id: 0, encodingPosition: 0, options: [], type: { nullable: false, typeInfo: { oneofKind: "atomicType", atomicType: AtomicType.INT64 } } },
        { name: "x", description: "", id: 1, encodingPosition: 1, options: [], type: { nullable: false, typeInfo: { oneofKind: "atomicType", atomicType: AtomicType.DOUBLE } } },
      ],
    };
    const micros = 1_717_272_005_000_007;
    const bytes = Buffer.from(encode(new StandardRowCoder(schema), { at: micros, x: 0.1 }));
    // field count 2, empty null bitmap, varint of micros (7 bits a byte, little end first), then 0.1 as IEEE 754 big-endian
    let varint = "";
    for (let v = BigInt(micros); ; v >>= 7n) {
      const low = Number(v & 0x7fn);
      varint += (v >> 7n === 0n ? low : low | 0x80).toString(16).padStart(2, "0");
      if (v >> 7n === 0n) break;
    }
    expect(bytes.toString("hex")).to.equal(`0200${varint}3fb999999999999a`);
    expect(() => new RowCoder(schema)).to.throw(/not currently supported/);
    const int64Only = { ...schema, fields: [schema.fields[0]] };
    expect(new RowCoder(int64Only).decode(new Reader(encode(new RowCoder(int64Only), { at: micros })) as never, undefined as never).at).to.not.equal(micros);
  });

  for (const table of targets) {
    it(`${table.name}: rows round-trip through the row coder exactly (microseconds, fractions, nulls, nested records)`, () => {
      const coder = tableRowCoder(table);
      for (let seed = 0; seed < 3; seed++) {
        const row = beamRow(table, sampleRow(table.fields, seed));
        const decoded = coder.decode(new Reader(encode(coder, row)) as never, undefined as never);
        expect(JSON.parse(JSON.stringify(decoded, (_k, v) => (v === undefined ? null : v)))).to.deep.equal(row);
      }
    });
  }

  it("workers build this coder from the pipeline's beam:coder:row:v1 (its module replaces the SDK's in the coder registry)", () => {
    const coder = globalRegistry().getCoder(RowCoder.URN, Schema.toBinary(beamSchema(userEvents)));
    expect(coder).to.be.an.instanceOf(StandardRowCoder);
  });
});
