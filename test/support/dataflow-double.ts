import { createServer, IncomingMessage, Server, ServerResponse } from "http";
import { createHash } from "crypto";
import { AddressInfo } from "net";
import { STORAGE_ENDPOINT_ENV } from "../../io/gcs/objects";

/**
 * A double of the Google APIs Beam's Python Dataflow runner calls when it
 * submits a job, and that the launcher's change detection calls (io/gcs),
 * on one local HTTP port, in their wire format (JSON over HTTP, Google's
 * error envelope):
 * - OAuth 2.0 token endpoint (the JWT bearer grant a service account key
 *   file's `token_uri` names), and the Compute Engine metadata server's
 *   token of the VM's service account (what a Flex Template launcher has;
 *   Node's auth library finds it at GCE_METADATA_HOST): every other call
 *   needs a token one of them issued;
 * - Cloud Storage JSON API uploads (`/upload/storage/v1/b/B/o`, media and
 *   multipart), object metadata and objects.list (`prefix`, `maxResults`,
 *   `pageToken`/`nextPageToken`; `size` a string, `md5Hash` base64, as the
 *   API gives them), in the buckets that exist (`buckets`; any other is
 *   404 "The specified bucket does not exist."): where the runner stages
 *   packages, the pipeline proto and template files;
 * - Dataflow v1b3 `projects.locations.jobs`: create, get, list, update, and
 *   the job's messages.
 * It refuses what the real APIs refuse on the points the runner can get
 * wrong: a missing token, a job without a valid name, type or environment,
 * a location that differs from the URL's, staged packages or a pipeline that
 * are not in Cloud Storage, an update of a job that is not running.
 */

export interface CreatedJob {
  readonly project: string;
  readonly location: string;
  /** The request body of projects.locations.jobs.create, as sent. */
  readonly body: Record<string, any>;
  readonly id: string;
}

export interface DataflowDouble {
  /** http://127.0.0.1:PORT: the runner's --dataflow_endpoint, the storage endpoint and the token URI. */
  readonly endpoint: string;
  readonly jobs: CreatedJob[];
  /** Every request, as `METHOD path`. */
  readonly requests: string[];
  /** Refused requests: status and message. */
  readonly refusals: { status: number; message: string }[];
  /** gs://bucket/name -> bytes. */
  readonly objects: Map<string, Buffer>;
  /** The buckets that exist (objects can be put in these only). */
  readonly buckets: Set<string>;
  /** `GCE_METADATA_HOST` for Node's auth library: 127.0.0.1:PORT. */
  readonly metadataHost: string;
  /** The next `times` authenticated requests `matches` accepts (`METHOD path`) are answered `status` (503: Google's backendError) instead. */
  inject(matches: (request: string) => boolean, times: number, status: number): void;
  close(): Promise<void>;
}

class ApiError extends Error {
  /** `reason`: the per-error reason of the older envelope Cloud Storage still answers with (`errors: [{domain, reason, message}]`). */
  constructor(readonly code: number, readonly status: string, message: string, readonly reason?: string) {
    super(message);
  }
}

const JOB_NAME = /^[a-z]([-a-z0-9]{0,1022}[a-z0-9])?$/;
const JOB_TYPES = ["JOB_TYPE_BATCH", "JOB_TYPE_STREAMING"];
const STORAGE = "storage.googleapis.com/";
/** objects.list's page size when the request gives none, and the most it gives. */
const LIST_PAGE = 1000;

/** An object's resource as the JSON API returns it: 64-bit numbers as strings, the MD5 in base64. */
const objectResource = (bucket: string, name: string, data: Buffer): Record<string, string> => ({
  kind: "storage#object",
  id: `${bucket}/${name}/1`,
  bucket,
  name,
  generation: "1",
  size: String(data.length),
  md5Hash: createHash("md5").update(data).digest("base64"),
});

const noBucket = (): ApiError => new ApiError(404, "NOT_FOUND", "The specified bucket does not exist.", "notFound");

/** objects.list: the names under `prefix` in name order, a page at a time; the page token is the last name given. */
function listObjects(objects: Map<string, Buffer>, bucket: string, params: URLSearchParams): Record<string, unknown> {
  const maxResults = params.has("maxResults") ? Number(params.get("maxResults")) : LIST_PAGE;
  if (!Number.isInteger(maxResults) || maxResults < 0) throw new ApiError(400, "INVALID_ARGUMENT", `Invalid value for maxResults: ${params.get("maxResults")}`, "invalid");
  const prefix = params.get("prefix") ?? "";
  let after = "";
  if (params.has("pageToken")) {
    after = Buffer.from(params.get("pageToken")!, "base64url").toString("utf8");
    if (after === "") throw new ApiError(400, "INVALID_ARGUMENT", "Invalid argument: pageToken", "invalid");
  }
  const names = [...objects.keys()]
    .filter((uri) => uri.startsWith(`gs://${bucket}/`))
    .map((uri) => uri.slice(`gs://${bucket}/`.length))
    .filter((name) => name.startsWith(prefix) && name > after)
    .sort();
  const page = names.slice(0, Math.min(maxResults || LIST_PAGE, LIST_PAGE));
  const more = page.length < names.length;
  return {
    kind: "storage#objects",
    ...(page.length > 0 ? { items: page.map((name) => objectResource(bucket, name, objects.get(`gs://${bucket}/${name}`)!)) } : {}),
    ...(more ? { nextPageToken: Buffer.from(page[page.length - 1], "utf8").toString("base64url") } : {}),
  };
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The parts of a multipart/related body (metadata JSON, then the media). */
function multipartParts(body: Buffer, contentType: string): Buffer[] {
  // Python's email generator quotes the boundary with single quotes.
  const boundary = /boundary=["']?([^"';]+)["']?/.exec(contentType)?.[1];
  if (boundary === undefined) throw new ApiError(400, "INVALID_ARGUMENT", "multipart upload without a boundary");
  const text = body.toString("latin1");
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      // apitools writes the headers of a part with bare LF line ends (Python's email generator), HTTP clients with CRLF.
      const headersEnd = /\r?\n\r?\n/.exec(part)!;
      return Buffer.from(part.slice(headersEnd.index + headersEnd[0].length).replace(/\r?\n$/, ""), "latin1");
    });
}

/** Dataflow's own checks of a job at creation that the runner's request can fail. */
function checkJob(job: Record<string, any>, location: string, objects: Map<string, Buffer>): void {
  const invalid = (message: string): never => {
    throw new ApiError(400, "INVALID_ARGUMENT", message);
  };
  if (typeof job.name !== "string" || !JOB_NAME.test(job.name)) invalid(`(job name) The job name must match [a-z]([-a-z0-9]{0,1022}[a-z0-9])?, got ${JSON.stringify(job.name)}`);
  if (!JOB_TYPES.includes(job.type)) invalid(`The job type must be one of ${JOB_TYPES.join(", ")}, got ${JSON.stringify(job.type)}`);
  if (job.location !== undefined && job.location !== location) invalid(`The job's location ${job.location} differs from the request's ${location}`);
  const env = job.environment;
  if (env === undefined) invalid("The job has no environment");
  if (typeof env.tempStoragePrefix !== "string" || !env.tempStoragePrefix.startsWith(STORAGE)) invalid(`Temp storage must be a Cloud Storage path, got ${JSON.stringify(env.tempStoragePrefix)}`);
  const pools: any[] = env.workerPools ?? [];
  if (pools.length === 0) invalid("The job has no worker pool");
  for (const pkg of pools.flatMap((p) => p.packages ?? [])) {
    const location: string = pkg.location ?? "";
    if (!location.startsWith(STORAGE)) invalid(`Staged package ${pkg.name} is not in Cloud Storage: ${location}`);
    if (!objects.has(`gs://${location.slice(STORAGE.length)}`)) invalid(`Staged package ${pkg.name} does not exist: ${location}`);
  }
  const pipelineUrl: string | undefined = env.sdkPipelineOptions?.options?.pipelineUrl;
  if (pipelineUrl !== undefined && !objects.has(pipelineUrl)) invalid(`The pipeline ${pipelineUrl} does not exist`);
}

/** The `iss` (the service account) of a signed JWT. */
const issuerOf = (jwt: string): string | undefined => {
  try {
    return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8")).iss;
  } catch {
    return undefined;
  }
};

export async function startDataflowDouble(options: { refusedIdentities?: readonly string[]; buckets?: readonly string[]; project?: string } = {}): Promise<DataflowDouble> {
  const tokens = new Set<string>();
  const buckets = new Set(options.buckets ?? ["test-bucket"]);
  const jobs: CreatedJob[] = [];
  const refusals: { status: number; message: string }[] = [];
  const requests: string[] = [];
  const objects = new Map<string, Buffer>();
  const states = new Map<string, string>();
  const faults: { matches: (request: string) => boolean; remaining: number; status: number }[] = [];

  const jobResource = (job: CreatedJob): Record<string, unknown> => ({
    ...job.body,
    id: job.id,
    projectId: job.project,
    location: job.location,
    currentState: states.get(job.id),
    currentStateTime: new Date().toISOString(),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const url = new URL(req.url ?? "/", "http://double");
    const path = url.pathname;
    requests.push(`${req.method} ${path}`);
    const body = await bodyOf(req);
    if (req.method === "POST" && path === "/token") {
      const form = new URLSearchParams(body.toString("utf8"));
      const issuer = issuerOf(form.get("assertion") ?? "");
      if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer" || issuer === undefined || (options.refusedIdentities ?? []).includes(issuer)) {
        refusals.push({ status: 400, message: `invalid_grant for ${issuer}` });
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "invalid_grant", error_description: "Invalid JWT Signature." }));
        return undefined;
      }
      const token = `double-token-${tokens.size + 1}`;
      tokens.add(token);
      return { access_token: token, token_type: "Bearer", expires_in: 3600 };
    }
    if (path === "/" && req.headers["metadata-flavor"] === "Google") {
      // Python's google-auth pings the metadata server's root (GCE_METADATA_IP) before it trusts it.
      res.writeHead(200, { "Metadata-Flavor": "Google", "content-type": "application/text" });
      res.end("computeMetadata/\n");
      return undefined;
    }
    if (path.startsWith("/computeMetadata/")) {
      // The metadata server answers only requests that say they mean it, and says it is one.
      if (req.headers["metadata-flavor"] !== "Google") {
        res.writeHead(403, { "content-type": "text/html" });
        res.end("Missing Metadata-Flavor:Google header.");
        return undefined;
      }
      res.setHeader("Metadata-Flavor", "Google");
      if (req.method === "GET" && path === "/computeMetadata/v1/instance/service-accounts/default/token") {
        const token = `double-token-${tokens.size + 1}`;
        tokens.add(token);
        return { access_token: token, token_type: "Bearer", expires_in: 3600 };
      }
      if (req.method === "GET" && path === "/computeMetadata/v1/project/project-id") {
        res.writeHead(200, { "content-type": "application/text" });
        res.end(options.project ?? "test-project");
        return undefined;
      }
      if (req.method === "GET" && path === "/computeMetadata/v1/instance") return {};
      // What Python's compute_engine.Credentials asks before a token (?recursive=true).
      if (req.method === "GET" && path === "/computeMetadata/v1/instance/service-accounts/default/") {
        return { aliases: ["default"], email: "launcher@test-project.iam.gserviceaccount.com", scopes: ["https://www.googleapis.com/auth/cloud-platform"] };
      }
      throw new ApiError(404, "NOT_FOUND", `No metadata at ${path}`);
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    if (auth === null || !tokens.has(auth[1])) throw new ApiError(401, "UNAUTHENTICATED", "Request is missing required authentication credential.");
    const fault = faults.find((f) => f.remaining > 0 && f.matches(`${req.method} ${path}`));
    if (fault !== undefined) {
      fault.remaining--;
      throw new ApiError(fault.status, "UNAVAILABLE", "We encountered an internal error. Please try again.", "backendError");
    }

    let m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (m && req.method === "POST") {
      const type = url.searchParams.get("uploadType");
      let name = url.searchParams.get("name") ?? undefined;
      let data = body;
      if (type === "multipart") {
        const parts = multipartParts(body, req.headers["content-type"] ?? "");
        name = name ?? JSON.parse(parts[0].toString("utf8")).name;
        data = parts[1];
      } else if (type !== "media") throw new ApiError(400, "INVALID_ARGUMENT", `uploadType ${type} is not supported here`);
      if (!name) throw new ApiError(400, "INVALID_ARGUMENT", "Required parameter: name");
      if (!buckets.has(m[1])) throw noBucket();
      objects.set(`gs://${m[1]}/${name}`, data);
      return objectResource(m[1], name, data);
    }
    m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (m && req.method === "GET") {
      if (!buckets.has(m[1])) throw noBucket();
      return listObjects(objects, m[1], url.searchParams);
    }
    m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (m && req.method === "GET") {
      if (!buckets.has(m[1])) throw noBucket();
      const name = decodeURIComponent(m[2]);
      const data = objects.get(`gs://${m[1]}/${name}`);
      if (data === undefined) throw new ApiError(404, "NOT_FOUND", `No such object: ${m[1]}/${name}`, "notFound");
      return objectResource(m[1], name, data);
    }

    m = /^\/v1b3\/projects\/([^/]+)\/locations\/([^/]+)\/jobs(?:\/([^/]+))?(\/messages)?$/.exec(path);
    if (m === null) throw new ApiError(404, "NOT_FOUND", `No API at ${req.method} ${path}`);
    const project = m[1];
    const location = m[2];
    const id = m[3];
    if (id === undefined && req.method === "POST") {
      const job = JSON.parse(body.toString("utf8")) as Record<string, any>;
      checkJob(job, location, objects);
      if (job.replaceJobId !== undefined) {
        const replaced = jobs.find((j) => j.id === job.replaceJobId);
        if (replaced === undefined || states.get(replaced.id) !== "JOB_STATE_RUNNING") throw new ApiError(400, "FAILED_PRECONDITION", `Could not find running job ${job.replaceJobId} to update`);
        states.set(replaced.id, "JOB_STATE_UPDATED");
      }
      const created: CreatedJob = { project, location, body: job, id: `2026-11-26_00_00_00-${jobs.length + 1}` };
      jobs.push(created);
      states.set(created.id, "JOB_STATE_RUNNING");
      return { ...jobResource(created), currentState: "JOB_STATE_PENDING" };
    }
    if (id === undefined && req.method === "GET") {
      return { jobs: jobs.filter((j) => j.project === project && j.location === location).map((j) => ({ id: j.id, name: j.body.name, currentState: states.get(j.id) })) };
    }
    const job = jobs.find((j) => j.id === id && j.project === project && j.location === location);
    if (job === undefined) throw new ApiError(404, "NOT_FOUND", `(job) Job ${id} not found in ${project}/${location}`);
    if (m[4] !== undefined) return { jobMessages: [] };
    if (req.method === "GET") return jobResource(job);
    if (req.method === "PUT") {
      const requested = JSON.parse(body.toString("utf8")).requestedState;
      if (requested === "JOB_STATE_CANCELLED" || requested === "JOB_STATE_DRAINING") states.set(job.id, requested === "JOB_STATE_CANCELLED" ? "JOB_STATE_CANCELLED" : "JOB_STATE_DRAINED");
      return jobResource(job);
    }
    throw new ApiError(405, "INVALID_ARGUMENT", `${req.method} is not allowed here`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).then(
      (result) => {
        if (res.headersSent) return;
        res.writeHead(200, { "content-type": "application/json; charset=UTF-8" });
        res.end(JSON.stringify(result));
      },
      (error: unknown) => {
        const e = error instanceof ApiError ? error : new ApiError(500, "INTERNAL", String(error));
        refusals.push({ status: e.code, message: e.message });
        res.writeHead(e.code, { "content-type": "application/json; charset=UTF-8" });
        const errors = e.reason === undefined ? {} : { errors: [{ message: e.message, domain: "global", reason: e.reason }] };
        res.end(JSON.stringify({ error: { code: e.code, message: e.message, ...errors, status: e.status } }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    jobs,
    requests,
    refusals,
    objects,
    buckets,
    metadataHost: endpoint.slice("http://".length),
    inject: (matches, times, status) => void faults.push({ matches, remaining: times, status }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The environment in which io/gcs lists the double's objects with the token
 * of the double's metadata server, as a Flex Template launcher on its VM
 * does: no key file, and an empty gcloud directory, so no other credentials
 * are found first.
 */
export function storageClientEnv(double: DataflowDouble, gcloudConfigDir: string): Record<string, string | undefined> {
  // GCE_METADATA_IP: where Python's google-auth pings it (the Dataflow job service's credentials on a launcher VM).
  const env: Record<string, string | undefined> = { GCE_METADATA_HOST: double.metadataHost, GCE_METADATA_IP: double.metadataHost, METADATA_SERVER_DETECTION: "assume-present", GOOGLE_APPLICATION_CREDENTIALS: undefined, CLOUDSDK_CONFIG: gcloudConfigDir };
  env[STORAGE_ENDPOINT_ENV] = double.endpoint;
  return env;
}
