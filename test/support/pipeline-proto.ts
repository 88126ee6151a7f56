import { gunzipSync } from "zlib";
import { Reader } from "protobufjs";
import { RowCoder } from "apache-beam/coders/row_coder";
import { Pipeline, PTransform } from "apache-beam/proto/beam_runner_api";
import { ExternalConfigurationPayload } from "apache-beam/proto/external_transforms";
import { Schema } from "apache-beam/proto/schema";
import { Struct } from "apache-beam/proto/google/protobuf/struct";

/** Reading what a portable submission carries: transforms by URN, cross-language payloads, options, npm tarballs. */

export const PUBSUB_READ_URN = "beam:transform:org.apache.beam:pubsub_read:v1";
export const BIGQUERY_WRITE_URN = "beam:transform:org.apache.beam:schemaio_bigquery_write:v1";
export const BIGQUERY_READ_URN = "beam:transform:org.apache.beam:schemaio_bigquery_read:v1";

export const transformsWithUrn = (pipeline: Pipeline, urn: string): PTransform[] =>
  Object.values(pipeline.components!.transforms).filter((t) => t.spec?.urn === urn);

/** A cross-language transform's configuration: the row its ExternalConfigurationPayload encodes. */
export function externalConfig(transform: PTransform): Record<string, unknown> {
  const payload = ExternalConfigurationPayload.fromBinary(transform.spec!.payload);
  return new RowCoder(payload.schema!).decode(new Reader(payload.payload) as never, undefined as never);
}

/** A BigQuery read's or write's own configuration, row-encoded inside its `config` bytes (apache-beam/io/schemaio). */
export function bigQueryWriteConfig(transform: PTransform): Record<string, unknown> {
  const outer = externalConfig(transform);
  const schema = RowCoder.inferSchemaOfJSON({ table: "string", query: "string", queryLocation: "string", createDisposition: "string" });
  return new RowCoder(schema).decode(new Reader(outer.config as Uint8Array) as never, undefined as never);
}

/** The Beam schema of a row-coded collection (the payload of its beam:coder:row:v1 coder). */
export function rowSchemaOf(pipeline: Pipeline, pcollection: string): Schema {
  const coder = pipeline.components!.coders[pipeline.components!.pcollections[pcollection].coderId];
  if (coder.spec!.urn !== "beam:coder:row:v1") throw new Error(`${pcollection} is coded with ${coder.spec!.urn}, not Beam rows`);
  return Schema.fromBinary(coder.spec!.payload);
}

/** The pipeline options of a PrepareJobRequest, by Beam's option name (snake_case, without the beam:option: wrapping). */
export function optionsOf(struct: Struct | undefined): Record<string, unknown> {
  const json = Struct.toJson(struct ?? Struct.create()) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(json)) out[key.replace(/^beam:option:/, "").replace(/:v1$/, "")] = json[key];
  return out;
}

/** package.json of an npm tarball (a gzipped tar whose files sit under package/). */
export function packageJsonOf(tarball: Buffer): { name: string; version: string } {
  const tar = gunzipSync(tarball);
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const name = tar.subarray(offset, offset + 100).toString("utf8").replace(/\0.*$/s, "");
    if (name === "") break;
    const size = parseInt(tar.subarray(offset + 124, offset + 136).toString("utf8").replace(/\0.*$/s, "").trim(), 8);
    if (name === "package/package.json") return JSON.parse(tar.subarray(offset + 512, offset + 512 + size).toString("utf8"));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error("no package/package.json in the tarball");
}
