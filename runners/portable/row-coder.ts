import { Coder, globalRegistry } from "apache-beam/coders/coders";
import { RowCoder } from "apache-beam/coders/row_coder";
import { DoubleCoder } from "apache-beam/coders/standard_coders";
import { AtomicType, FieldType, Schema } from "apache-beam/proto/schema";

/**
 * Beam's row coder as the model defines it (beam:coder:row:v1), for the
 * types the TypeScript SDK's own RowCoder gets wrong or lacks: its INT64
 * goes through a 32-bit varint (epoch microseconds, 1.7e15, are cut to their
 * low 32 bits without an error) and it has no DOUBLE. Java's RowCoder, which
 * decodes these rows before BigQueryIO writes them, codes INT64 as a 64-bit
 * varint (VarLongCoder) and DOUBLE as 8 big-endian bytes (DoubleCoder).
 * Every other type is the SDK's.
 */

type Encode = Coder<number>["encode"];
type Decode = Coder<number>["decode"];

/** beam:coder:varint:v1 over the full 64 bits (exact for integers up to 2^53, all a JavaScript number holds). */
const varInt64: Coder<number> = {
  encode: ((value, writer) => void writer.int64(value)) as Encode,
  decode: ((reader) => {
    const value = reader.int64() as unknown as number | { toNumber(): number };
    return typeof value === "number" ? value : value.toNumber();
  }) as Decode,
  toProto: () => ({ spec: { urn: "beam:coder:varint:v1", payload: new Uint8Array() }, componentCoderIds: [] }),
};

export class StandardRowCoder extends RowCoder {
  constructor(schema: Schema | Uint8Array) {
    super(schema);
  }

  getNonNullCoderFromType(type: FieldType): Coder<unknown> {
    const info = type.typeInfo;
    if (info.oneofKind === "atomicType" && info.atomicType === AtomicType.INT64) return varInt64;
    if (info.oneofKind === "atomicType" && info.atomicType === AtomicType.DOUBLE) return new DoubleCoder();
    if (info.oneofKind === "rowType" && info.rowType.schema !== undefined) return new StandardRowCoder(info.rowType.schema);
    return super.getNonNullCoderFromType(type);
  }
}

// Workers build the coders of a bundle from their URN: this module is required before (rows.ts imports it), so they get this one.
globalRegistry().register(RowCoder.URN, StandardRowCoder as unknown as Parameters<ReturnType<typeof globalRegistry>["register"]>[1]);
