import * as grpc from "@grpc/grpc-js";
import { ArtifactStagingService, ArtifactRequestWrapper, ArtifactResponseWrapper } from "apache-beam/proto/beam_artifact_api";
import { ExpansionRequest, ExpansionResponse, ExpansionService } from "apache-beam/proto/beam_expansion_api";
import { ExternalConfigurationPayload } from "apache-beam/proto/external_transforms";
import { AtomicType, Schema } from "apache-beam/proto/schema";
import { JobService, JobState_Enum, PrepareJobRequest, RunJobRequest } from "apache-beam/proto/beam_job_api";
import {
  AccumulationMode_Enum,
  ArtifactInformation,
  ClosingBehavior_Enum,
  Components,
  DockerPayload,
  Environment,
  IsBounded_Enum,
  MergeStatus_Enum,
  OnTimeBehavior_Enum,
  OutputTime_Enum,
  WindowingStrategy,
} from "apache-beam/proto/beam_runner_api";

/**
 * gRPC doubles of the services a portable submission talks to, built from
 * the SDK's own generated message and service types: an expansion service
 * (for the cross-language Pub/Sub read and BigQuery write) and a job service
 * with artifact staging. They record what they receive.
 */

interface MessageType {
  fromBinary(bytes: Uint8Array): any;
  toBinary(message: any): Uint8Array;
}
interface ServiceInfo {
  typeName: string;
  methods: readonly { name: string; I: MessageType; O: MessageType; serverStreaming: boolean; clientStreaming: boolean }[];
}

/** A grpc-js service definition of a protobuf-ts service type (the SDK ships server definitions for few services). */
function serviceDefinition(service: ServiceInfo): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methods) {
    definition[method.name] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.clientStreaming,
      responseStream: method.serverStreaming,
      requestSerialize: (value: object) => Buffer.from(method.I.toBinary(value)),
      requestDeserialize: (bytes: Buffer) => method.I.fromBinary(bytes),
      responseSerialize: (value: object) => Buffer.from(method.O.toBinary(value)),
      responseDeserialize: (bytes: Buffer) => method.O.fromBinary(bytes),
    };
  }
  return definition;
}

/** Every method of `service` answers UNIMPLEMENTED unless `handlers` has it. */
function withDefaults(service: ServiceInfo, handlers: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
  const all: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const handler = handlers[method.name] as ((call: unknown, callback?: grpc.sendUnaryData<unknown>) => void) | undefined;
    // A failing double answers with its error's message, which the SDK then shows (grpc-js would say "Unknown error").
    all[method.name] = (call: unknown, callback?: grpc.sendUnaryData<unknown>) => {
      if (handler === undefined) return callback?.({ code: grpc.status.UNIMPLEMENTED, details: `${method.name} is not in the double` }, null);
      try {
        handler(call, callback);
      } catch (error) {
        callback?.({ code: grpc.status.INTERNAL, details: `double: ${(error as Error).stack}` }, null);
      }
    };
  }
  return all;
}

export interface Double {
  /** host:port, in the form BEAM_SERVICE_OVERRIDES accepts (no hyphens). */
  readonly address: string;
  close(): Promise<void>;
}

async function listen(services: { info: ServiceInfo; handlers: grpc.UntypedServiceImplementation }[]): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  for (const s of services) server.addService(serviceDefinition(s.info), withDefaults(s.info, s.handlers));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { server, address: `127.0.0.1:${port}` };
}

const close = (server: grpc.Server) => (): Promise<void> => new Promise((resolve) => server.tryShutdown(() => resolve()));

/** The image the double's Java environment names, as Beam's Java expansion service would. */
export const JAVA_IMAGE = "apache/beam_java11_sdk:2.49.0";

export interface ExpansionDouble extends Double {
  readonly requests: ExpansionRequest[];
}

/**
 * Expands every transform into one leaf of its own URN, in a Java docker
 * environment without dependencies. Outputs: none for writes; for the Pub/Sub
 * read one UNBOUNDED collection of bytes; for the BigQuery read (a query) one
 * BOUNDED collection of Beam rows, the query's columns as nullable strings
 * (Java would ask BigQuery for their types); every id prefixed with the
 * request's namespace, as the SDK requires.
 */
/** The configuration fields of Beam 2.49 Java's `ExternalRead` (its setters); it refuses any other with this error. */
const PUBSUB_READ_FIELDS = ["topic", "subscription", "id_label", "timestamp_attribute", "with_attributes"];

/** The column names of a schemaio BigQuery read's `query` (its configuration is a Beam row of strings: table, query, ...); undefined for a table read. */
function queryColumns(config: ExternalConfigurationPayload): string[] | undefined {
  const text = new TextDecoder().decode(config.payload);
  const select = text.match(/SELECT (.+?) FROM `/);
  return select?.[1].split(", ").map((column) => column.split(" AS ").pop()!.trim());
}

export async function startExpansionDouble(): Promise<ExpansionDouble> {
  const requests: ExpansionRequest[] = [];
  const expand = (call: grpc.ServerUnaryCall<ExpansionRequest, ExpansionResponse>, callback: grpc.sendUnaryData<ExpansionResponse>): void => {
    const request = call.request;
    requests.push(request);
    const ns = request.namespace;
    if (request.transform!.spec!.urn.includes("pubsub_read")) {
      const fields = ExternalConfigurationPayload.fromBinary(request.transform!.spec!.payload).schema?.fields ?? [];
      const unknown = fields.find((f) => !PUBSUB_READ_FIELDS.includes(f.name));
      if (unknown) return callback(null, ExpansionResponse.create({ error: `java.lang.IllegalArgumentException: The configuration class class org.apache.beam.sdk.io.gcp.pubsub.ExternalRead$Configuration is missing a setter for ${unknown.name}` }));
    }
    const response = ExpansionResponse.create({
      transform: { ...request.transform!, outputs: {}, environmentId: `${ns}java` },
      components: Components.create(),
    });
    const components = response.components!;
    components.environments[`${ns}java`] = Environment.create({ urn: "beam:env:docker:v1", payload: DockerPayload.toBinary({ containerImage: JAVA_IMAGE }) });
    const urn = request.transform!.spec!.urn;
    if (urn.includes("pubsub_read") || urn.includes("bigquery_read")) {
      components.coders[`${ns}window`] = { spec: { urn: "beam:coder:global_window:v1", payload: new Uint8Array() }, componentCoderIds: [] };
      components.windowingStrategies[`${ns}global`] = WindowingStrategy.create({
        windowFn: { urn: "beam:window_fn:global_windows:v1", payload: new Uint8Array() },
        mergeStatus: MergeStatus_Enum.NON_MERGING,
        windowCoderId: `${ns}window`,
        trigger: { trigger: { oneofKind: "default", default: {} } },
        accumulationMode: AccumulationMode_Enum.DISCARDING,
        outputTime: OutputTime_Enum.END_OF_WINDOW,
        closingBehavior: ClosingBehavior_Enum.EMIT_IF_NONEMPTY,
        onTimeBehavior: OnTimeBehavior_Enum.FIRE_ALWAYS,
        environmentId: `${ns}java`,
      });
    }
    if (urn.includes("pubsub_read")) {
      components.coders[`${ns}bytes`] = { spec: { urn: "beam:coder:bytes:v1", payload: new Uint8Array() }, componentCoderIds: [] };
      components.pcollections[`${ns}messages`] = { uniqueName: `${ns}messages`, coderId: `${ns}bytes`, isBounded: IsBounded_Enum.UNBOUNDED, windowingStrategyId: `${ns}global`, displayData: [] };
      response.transform!.outputs.output = `${ns}messages`;
    }
    if (urn.includes("bigquery_read")) {
      const config = ExternalConfigurationPayload.fromBinary(request.transform!.spec!.payload);
      const columns = queryColumns(config);
      if (columns === undefined) return callback(null, ExpansionResponse.create({ error: "java.lang.IllegalArgumentException: the double reads queries only (SELECT a, b AS c FROM `p.d.t`)" }));
      const schema = Schema.create({ id: `${ns}schema`, fields: columns.map((name, id) => ({ name, id, encodingPosition: id, type: { nullable: true, typeInfo: { oneofKind: "atomicType", atomicType: AtomicType.STRING } } })) });
      components.coders[`${ns}row`] = { spec: { urn: "beam:coder:row:v1", payload: Schema.toBinary(schema) }, componentCoderIds: [] };
      components.pcollections[`${ns}rows`] = { uniqueName: `${ns}rows`, coderId: `${ns}row`, isBounded: IsBounded_Enum.BOUNDED, windowingStrategyId: `${ns}global`, displayData: [] };
      response.transform!.outputs.output = `${ns}rows`;
    }
    callback(null, response);
  };
  const { server, address } = await listen([{ info: ExpansionService as unknown as ServiceInfo, handlers: { Expand: expand } }]);
  return { address, requests, close: close(server) };
}

/** A file the job service fetched through the artifact staging stream. */
export interface StagedArtifact {
  readonly roleUrn: string;
  readonly role: string;
  readonly data: Buffer;
}

export interface JobServiceDouble extends Double {
  readonly prepared: PrepareJobRequest[];
  readonly staged: StagedArtifact[];
  readonly runs: RunJobRequest[];
}

/**
 * Beam's Job API up to the engine: Prepare (with an artifact staging
 * endpoint on the same port), the reverse artifact retrieval stream that
 * fetches every file dependency of the prepared pipeline, Run, GetState
 * (RUNNING), GetJobMetrics (none), Cancel.
 */
export async function startJobServiceDouble(): Promise<JobServiceDouble> {
  const prepared: PrepareJobRequest[] = [];
  const staged: StagedArtifact[] = [];
  const runs: RunJobRequest[] = [];
  // Where Prepare sends the SDK to stage artifacts: this server, known once it listens (an object, not a reassigned let, which the closure transform would box).
  const staging = { url: "" };
  const unary =
    <I, O>(answer: (request: I) => O) =>
    (call: grpc.ServerUnaryCall<I, O>, callback: grpc.sendUnaryData<O>): void =>
      callback(null, answer(call.request));

  /** Asks for the artifacts one at a time (the SDK answers each with a stream of chunks ending in isLast). */
  const retrieve = (call: grpc.ServerDuplexStream<ArtifactResponseWrapper, ArtifactRequestWrapper>): void => {
    const pipeline = prepared[prepared.length - 1].pipeline!;
    const wanted: ArtifactInformation[] = Object.values(pipeline.components!.environments).flatMap((env) => env.dependencies);
    let index = -1;
    let chunks: Uint8Array[] = [];
    const next = (): void => {
      index++;
      if (index < wanted.length) {
        call.write(ArtifactRequestWrapper.create({ request: { oneofKind: "getArtifact", getArtifact: { artifact: wanted[index] } } }));
      } else {
        call.sendMetadata(new grpc.Metadata()); // without it the SDK's offerArtifacts never resolves
        call.end();
      }
    };
    call.on("data", (message: ArtifactResponseWrapper) => {
      if (index < 0) return next(); // the opening message: the staging token
      if (message.response.oneofKind !== "getArtifactResponse") return;
      chunks.push(message.response.getArtifactResponse.data);
      if (!message.isLast) return;
      const artifact = wanted[index];
      staged.push({ roleUrn: artifact.roleUrn, role: Buffer.from(artifact.rolePayload).toString("utf8"), data: Buffer.concat(chunks) });
      chunks = [];
      next();
    });
  };

  const listening = await listen([
    {
      info: JobService as unknown as ServiceInfo,
      handlers: {
        Prepare: unary((request: PrepareJobRequest) => {
          prepared.push(request);
          return { preparationId: `preparation-${prepared.length}`, artifactStagingEndpoint: { url: staging.url, authentication: undefined }, stagingSessionToken: `token-${prepared.length}` };
        }),
        Run: unary((request: RunJobRequest) => {
          runs.push(request);
          return { jobId: `job-${runs.length}` };
        }),
        GetState: unary(() => ({ state: JobState_Enum.RUNNING, timestamp: undefined })),
        GetJobMetrics: unary(() => ({ metrics: { attempted: [], committed: [] } })),
        Cancel: unary(() => ({ state: JobState_Enum.CANCELLED })),
      },
    },
    { info: ArtifactStagingService as unknown as ServiceInfo, handlers: { ReverseArtifactRetrievalService: retrieve } },
  ]);
  staging.url = listening.address;
  return { address: listening.address, prepared, staged, runs, close: close(listening.server) };
}
