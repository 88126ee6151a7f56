import { createServer, IncomingMessage, Server, ServerResponse } from "http";
import { AddressInfo } from "net";

/**
 * A local server speaking the part of the BigQuery REST API v2 the sink uses,
 * built from the API reference's request and response shapes:
 *
 * - datasets.get / datasets.insert, tables.get / tables.insert (tables and views);
 * - tabledata.insertAll: rows are checked against the table's schema as
 *   BigQuery does (unknown fields, missing REQUIRED fields, values of the
 *   wrong type are `invalid`; with skipInvalidRows=false the other rows of the
 *   request are `stopped` and nothing is inserted); rows whose insertId the
 *   table already saw are dropped (BigQuery's dedup is best-effort for about a
 *   minute; here it always applies);
 * - jobs.insert of a load job, uploaded as the client library sends it
 *   (POST /upload/bigquery/v2/projects/P/jobs?uploadType=multipart, a
 *   multipart/related body: the job resource as JSON, then the data), and
 *   jobs.get polled until DONE (`loadPolls` answers RUNNING first). Only
 *   NEWLINE_DELIMITED_JSON is loaded. As BigQuery does, the job ends DONE
 *   with `status.errorResult` (and each row's error in `status.errors`)
 *   and loads nothing when more rows are bad than `maxBadRecords` (0 by
 *   default): a line that is not JSON, an unknown field without
 *   `ignoreUnknownValues`, a value of the wrong type (a BOOLEAN given "yes"),
 *   a REPEATED column given a scalar or null, an array for a column that is
 *   not REPEATED, a missing REQUIRED column; a missing table under
 *   CREATE_NEVER; a schema that does not match the table's under
 *   WRITE_APPEND; a non-empty table under WRITE_EMPTY; a view. WRITE_TRUNCATE
 *   replaces the table's rows (and schema) whole, WRITE_APPEND adds to them.
 * - jobs.query / jobs.getQueryResults for one statement shape only,
 *   `SELECT col, ... FROM \`project.dataset.table\``, optionally followed by
 *   `WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) = 1`
 *   (the latest row per k), paged by maxResults.
 *   Anything else is answered 400 invalidQuery, so the sink cannot rely on SQL
 *   this double only pretends to run.
 *
 * Every request is recorded; faults can be injected per request (an error
 * status, a delay, a request that never answers, a dropped connection) and
 * per row (an extra `invalid` reason for rows a predicate picks).
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. /bigquery/v2/projects/p/datasets. */
  path: string;
  query: Record<string, string>;
  body: any;
  /** The body as sent (an upload's multipart data). */
  raw: Buffer;
}

export type Fault =
  | { status: number; reason: string; message?: string }
  | { delayMs: number }
  | { hang: true }
  | { dropConnection: true };

interface FaultRule {
  matches: (request: RecordedRequest) => boolean;
  remaining: number;
  fault: Fault;
}

interface SchemaField {
  name: string;
  type: string;
  mode?: string;
  fields?: SchemaField[];
}

interface StoredTable {
  resource: any;
  rows: Record<string, unknown>[];
  insertIds: Set<string>;
}

interface RowError {
  reason: string;
  location: string;
  message: string;
}

/** BigQuery answers with the legacy type names, whichever spelling created the table. */
const LEGACY_TYPES: Record<string, string> = { INT64: "INTEGER", FLOAT64: "FLOAT", BOOL: "BOOLEAN", STRUCT: "RECORD" };

function normalizeFields(fields: SchemaField[]): SchemaField[] {
  return fields.map((f) => {
    const out: SchemaField = { ...f, type: LEGACY_TYPES[f.type] ?? f.type, mode: f.mode ?? "NULLABLE" };
    if (f.fields) out.fields = normalizeFields(f.fields);
    return out;
  });
}

/**
 * The type BigQuery names when it cannot convert `value` to a scalar column
 * of `type`, or undefined when it can. Streaming inserts and JSON loads agree
 * but for two things: a load also takes "true"/"false" for a BOOLEAN, and
 * calls a FLOAT a double in its message.
 */
function scalarMismatch(type: string, value: unknown, via: "insert" | "load"): string | undefined {
  switch (type) {
    case "INTEGER":
      return (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^-?\d+$/.test(value)) ? undefined : "integer";
    case "FLOAT":
      return typeof value === "number" || (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) ? undefined : via === "load" ? "double" : "floating point";
    case "BOOLEAN":
      return typeof value === "boolean" || (via === "load" && typeof value === "string" && /^(true|false)$/i.test(value)) ? undefined : "boolean";
    case "STRING":
      return typeof value === "string" ? undefined : "string";
    case "TIMESTAMP":
      return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? undefined : "timestamp";
    case "DATE":
      return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? undefined : "date";
    default:
      return undefined;
  }
}

/** Why BigQuery would refuse `value` for `field`, or undefined. Messages follow BigQuery's wording. */
function valueProblem(field: SchemaField, value: unknown, path: string): RowError | undefined {
  const invalid = (message: string): RowError => ({ reason: "invalid", location: path, message });
  if (value === null || value === undefined) {
    return field.mode === "REQUIRED" ? invalid(`Missing required field: ${path}.`) : undefined;
  }
  const bad = (kind: string): RowError => invalid(`Cannot convert value to ${kind} (bad value): ${JSON.stringify(value)}`);
  if (field.mode === "REPEATED") {
    if (!Array.isArray(value)) return bad("array");
    for (const item of value) {
      const problem = item === null ? invalid(`Null value in repeated field: ${path}.`) : valueProblem({ ...field, mode: "NULLABLE" }, item, path);
      if (problem) return problem;
    }
    return undefined;
  }
  if (field.type === "RECORD") return typeof value === "object" && !Array.isArray(value) ? rowProblem(field.fields ?? [], value as Record<string, unknown>, `${path}.`) : bad("record");
  const kind = scalarMismatch(field.type, value, "insert");
  return kind === undefined ? undefined : bad(kind);
}

function rowProblem(fields: SchemaField[], row: Record<string, unknown>, prefix = ""): RowError | undefined {
  const known = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(row)) {
    if (!known.has(name)) return { reason: "invalid", location: `${prefix}${name}`, message: `no such field: ${prefix}${name}.` };
  }
  for (const field of fields) {
    const problem = valueProblem(field, row[field.name], `${prefix}${field.name}`);
    if (problem) return problem;
  }
  return undefined;
}

/** A value as ORDER BY compares it: a number, or a TIMESTAMP's text as its time. */
const orderValue = (value: unknown): number => (typeof value === "string" && !/^-?[\d.]+$/.test(value) ? Date.parse(value) : Number(value));

/** A REST value of a query result: BigQuery sends scalars as strings. */
function cell(value: unknown): { v: unknown } {
  if (value === null || value === undefined) return { v: null };
  if (Array.isArray(value)) return { v: value.map(cell) }; // a REPEATED column: [{v: item}, ...]
  return { v: typeof value === "object" ? JSON.stringify(value) : String(value) };
}


/** The parts of a multipart/related body (RFC 2387), as the client library's upload sends them: headers, a blank line, the content. */
function multipartParts(contentType: string, body: Buffer): Buffer[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!contentType.startsWith("multipart/related") || boundary === undefined) throw new HttpError(400, "invalid", `an upload is multipart/related with a boundary, got ${contentType}`);
  const text = body.toString("latin1");
  const parts: Buffer[] = [];
  for (const piece of text.split(`--${boundary}`).slice(1)) {
    if (piece.startsWith("--")) break;
    const start = piece.indexOf("\r\n\r\n");
    const content = piece.slice(start + 4).replace(/\r\n$/, "");
    parts.push(Buffer.from(content, "latin1"));
  }
  return parts;
}

/** A JSON value as BigQuery's load messages quote it. */
const quotedValue = (value: unknown): string => (typeof value === "string" ? `string_value: "${value}"` : typeof value === "number" ? `number_value: ${value}` : JSON.stringify(value));

/** Why a BigQuery load of NEWLINE_DELIMITED_JSON would refuse `value` for `field`, or undefined. */
function loadValueProblem(field: SchemaField, value: unknown, path: string): string | undefined {
  const repeated = field.mode === "REPEATED";
  if (value === null || value === undefined) {
    if (repeated && value === null) return `Only optional fields can be set to NULL. Field: ${path}; Value: NULL`;
    return field.mode === "REQUIRED" ? `Missing required field: ${path}.` : undefined;
  }
  if (Array.isArray(value) && !repeated) return `Array specified for non-repeated field: ${path}.`;
  if (repeated) {
    if (!Array.isArray(value)) return `Repeated field must be imported as a JSON array. Field: ${path}.`;
    for (const element of value) {
      const problem = loadValueProblem({ ...field, mode: "REQUIRED" }, element, path);
      if (problem) return problem;
    }
    return undefined;
  }
  const bad = (kind: string): string => `Could not convert value '${quotedValue(value)}' to ${kind}. Field: ${path}; Value: ${typeof value === "string" ? value : JSON.stringify(value)}`;
  if (field.type === "RECORD") return typeof value === "object" ? loadRowProblem(field.fields ?? [], value as Record<string, unknown>, false, `${path}.`) : bad("record");
  const kind = scalarMismatch(field.type, value, "load");
  return kind === undefined ? undefined : bad(kind);
}

function loadRowProblem(fields: SchemaField[], row: Record<string, unknown>, ignoreUnknown: boolean, prefix = ""): string | undefined {
  const known = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(row)) if (!known.has(name) && !ignoreUnknown) return `No such field: ${prefix}${name}.`;
  for (const field of fields) {
    const problem = loadValueProblem(field, row[field.name], `${prefix}${field.name}`);
    if (problem) return problem;
  }
  return undefined;
}

/** How a load's schema differs from the table's (names, types, modes), in BigQuery's words; undefined when they match. */
function schemaChange(table: SchemaField[], given: SchemaField[]): string | undefined {
  for (const field of given) {
    const found = table.find((f) => f.name === field.name);
    if (!found) return `Cannot add fields (field: ${field.name})`;
    if (found.type !== field.type) return `Field ${field.name} has changed type from ${found.type} to ${field.type}`;
    if (found.mode !== field.mode) return `Field ${field.name} has changed mode from ${found.mode} to ${field.mode}`;
  }
  const missing = table.find((f) => !given.some((g) => g.name === f.name));
  return missing ? `Field ${missing.name} is missing in new schema` : undefined;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

const STATUS_NAMES: Record<number, string> = { 400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE" };

export class BigQueryServer {
  readonly requests: RecordedRequest[] = [];
  readonly datasets = new Map<string, any>();
  readonly tables = new Map<string, StoredTable>();
  /** Rows this returns a message for are refused as `invalid` with it (beside the schema checks). */
  rejectRow?: (table: string, row: Record<string, unknown>) => string | undefined;
  /** A row-level error other than `invalid` (its reason, e.g. backendError) for the rows it names; the request's other rows are `stopped`. */
  failRow?: (table: string, row: Record<string, unknown>) => string | undefined;
  private faults: FaultRule[] = [];
  private queries = new Map<string, { fields: SchemaField[]; rows: Record<string, unknown>[] }>();
  private server?: Server;
  private jobs = 0;
  private loadJobs = new Map<string, { resource: any; polls: number }>();
  /** How many jobs.get of a load job answer RUNNING before DONE (the client must poll). */
  loadPolls = 1;

  /** Starts on a free loopback port; resolves with the endpoint to give the client. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` requests that `matches` accepts get `fault` instead of (or before) their answer. */
  inject(matches: (request: RecordedRequest) => boolean, times: number, fault: Fault): void {
    this.faults.push({ matches, remaining: times, fault });
  }

  /** Rows stored in a table, as inserted (JSON values). */
  rows(project: string, dataset: string, table: string): Record<string, unknown>[] {
    return this.tables.get(`${project}.${dataset}.${table}`)?.rows ?? [];
  }

  /** Recorded insertAll requests of a table. */
  insertAlls(table: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === "POST" && r.path.endsWith(`/tables/${table}/insertAll`));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://localhost");
    const raw = Buffer.concat(chunks);
    const text = raw.toString("utf8");
    const json = (req.headers["content-type"] ?? "application/json").startsWith("application/json");
    const request: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: text === "" || !json ? undefined : JSON.parse(text),
      raw,
    };
    if (!json) request.body = { contentType: req.headers["content-type"] };
    this.requests.push(request);
    const rule = this.faults.find((f) => f.remaining > 0 && f.matches(request));
    if (rule) {
      rule.remaining--;
      const fault = rule.fault;
      if ("hang" in fault) return; // never answered: the client's timeout must fire
      if ("dropConnection" in fault) return void req.socket.destroy();
      if ("status" in fault) return this.sendError(res, new HttpError(fault.status, fault.reason, fault.message ?? `injected ${fault.status}`));
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    }
    try {
      this.send(res, 200, this.route(request));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.sendError(res, error);
    }
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8" });
    res.end(JSON.stringify(body));
  }

  /** The documented error body: {error: {code, message, errors: [{reason, message}], status}}. */
  private sendError(res: ServerResponse, error: HttpError): void {
    this.send(res, error.status, {
      error: { code: error.status, message: error.message, errors: [{ domain: "global", reason: error.reason, message: error.message }], status: STATUS_NAMES[error.status] ?? "UNKNOWN" },
    });
  }

  private route(r: RecordedRequest): unknown {
    const parts = r.path.split("/").filter((p) => p !== "");
    if (r.method === "POST" && parts[0] === "upload" && parts[1] === "bigquery" && parts[2] === "v2" && parts[3] === "projects" && parts[5] === "jobs" && parts.length === 6) return this.insertLoadJob(parts[4], r);
    if (parts[0] !== "bigquery" || parts[1] !== "v2" || parts[2] !== "projects") throw new HttpError(404, "notFound", `no such path: ${r.path}`);
    const project = parts[3];
    const rest = parts.slice(4).join("/");
    const m = (pattern: RegExp): RegExpMatchArray | null => rest.match(pattern);
    let match: RegExpMatchArray | null;
    if (r.method === "POST" && rest === "datasets") return this.insertDataset(project, r.body);
    if (r.method === "GET" && (match = m(/^datasets\/([^/]+)$/))) return this.dataset(project, match[1]);
    if (r.method === "POST" && (match = m(/^datasets\/([^/]+)\/tables$/))) return this.insertTable(project, match[1], r.body);
    if (r.method === "GET" && (match = m(/^datasets\/([^/]+)\/tables\/([^/]+)$/))) return this.table(project, match[1], match[2]).resource;
    if (r.method === "POST" && (match = m(/^datasets\/([^/]+)\/tables\/([^/]+)\/insertAll$/))) return this.insertAll(this.table(project, match[1], match[2]), r.body);
    if (r.method === "POST" && rest === "queries") return this.query(project, r.body);
    if (r.method === "GET" && (match = m(/^jobs\/([^/]+)$/))) return this.getJob(project, match[1]);
    if (r.method === "GET" && (match = m(/^queries\/([^/]+)$/))) return this.queryResults(project, match[1], r.query);
    throw new HttpError(404, "notFound", `the local server does not implement ${r.method} ${r.path}`);
  }

  private dataset(project: string, dataset: string): any {
    const found = this.datasets.get(`${project}.${dataset}`);
    if (!found) throw new HttpError(404, "notFound", `Not found: Dataset ${project}:${dataset}`);
    return found;
  }

  private insertDataset(project: string, body: any): any {
    const id = body?.datasetReference?.datasetId;
    if (!id) throw new HttpError(400, "invalid", "Dataset reference is missing");
    if (this.datasets.has(`${project}.${id}`)) throw new HttpError(409, "duplicate", `Already Exists: Dataset ${project}:${id}`);
    const resource = { kind: "bigquery#dataset", id: `${project}:${id}`, location: "US", ...body, datasetReference: { projectId: project, datasetId: id } };
    this.datasets.set(`${project}.${id}`, resource);
    return resource;
  }

  private table(project: string, dataset: string, table: string): StoredTable {
    this.dataset(project, dataset);
    const found = this.tables.get(`${project}.${dataset}.${table}`);
    if (!found) throw new HttpError(404, "notFound", `Not found: Table ${project}:${dataset}.${table}`);
    return found;
  }

  private insertTable(project: string, dataset: string, body: any): any {
    this.dataset(project, dataset);
    const id = body?.tableReference?.tableId;
    if (!id) throw new HttpError(400, "invalid", "Table reference is missing");
    if (this.tables.has(`${project}.${dataset}.${id}`)) throw new HttpError(409, "duplicate", `Already Exists: Table ${project}:${dataset}.${id}`);
    const resource = {
      kind: "bigquery#table",
      id: `${project}:${dataset}.${id}`,
      type: body.view ? "VIEW" : "TABLE",
      ...body,
      tableReference: { projectId: project, datasetId: dataset, tableId: id },
      schema: body.schema ? { fields: normalizeFields(body.schema.fields) } : undefined,
    };
    this.tables.set(`${project}.${dataset}.${id}`, { resource, rows: [], insertIds: new Set() });
    return resource;
  }

  private insertAll(table: StoredTable, body: any): unknown {
    if (table.resource.type === "VIEW") throw new HttpError(400, "invalid", `Cannot insert into a view: ${table.resource.id}`);
    const rows: { insertId?: string; json: Record<string, unknown> }[] = body?.rows ?? [];
    if (rows.length === 0) throw new HttpError(400, "invalid", "No rows present in the request.");
    const fields: SchemaField[] = table.resource.schema.fields;
    const insertErrors: { index: number; errors: RowError[] }[] = [];
    rows.forEach((row, index) => {
      let problem = rowProblem(fields, row.json);
      if (problem?.message.startsWith("no such field") && body.ignoreUnknownValues) problem = undefined;
      const injected = this.rejectRow?.(table.resource.tableReference.tableId, row.json);
      if (!problem && injected) problem = { reason: "invalid", location: "", message: injected };
      const failed = this.failRow?.(table.resource.tableReference.tableId, row.json);
      if (!problem && failed) problem = { reason: failed, location: "", message: "row failed" };
      if (problem) insertErrors.push({ index, errors: [problem] });
    });
    const refused = new Set(insertErrors.map((e) => e.index));
    if (refused.size > 0 && !body.skipInvalidRows) {
      rows.forEach((_row, index) => {
        if (!refused.has(index)) insertErrors.push({ index, errors: [{ reason: "stopped", location: "", message: "" }] });
      });
      insertErrors.sort((a, b) => a.index - b.index);
      return { kind: "bigquery#tableDataInsertAllResponse", insertErrors };
    }
    rows.forEach((row, index) => {
      if (refused.has(index)) return;
      if (row.insertId !== undefined && table.insertIds.has(row.insertId)) return;
      if (row.insertId !== undefined) table.insertIds.add(row.insertId);
      table.rows.push(row.json);
    });
    return insertErrors.length > 0 ? { kind: "bigquery#tableDataInsertAllResponse", insertErrors } : { kind: "bigquery#tableDataInsertAllResponse" };
  }

  /** jobs.insert with an upload: the job is created at once and runs to DONE (or fails) before its first poll. */
  private insertLoadJob(project: string, r: RecordedRequest): unknown {
    if (r.query.uploadType !== "multipart") throw new HttpError(400, "invalid", `the local server takes uploadType=multipart, got ${r.query.uploadType}`);
    // No array destructuring: the build's closure transform keeps only the first name.
    const parts = multipartParts(String(r.body?.contentType ?? ""), r.raw);
    const metadata = parts[0], data = parts[1];
    if (metadata === undefined || data === undefined) throw new HttpError(400, "invalid", "an upload has two parts: the job resource, then the data");
    const resource = JSON.parse(metadata.toString("utf8"));
    r.body = { ...resource, data: data.toString("utf8") };
    const load = resource?.configuration?.load;
    if (!load?.destinationTable?.tableId) throw new HttpError(400, "invalid", "Load configuration must specify destination table");
    const jobId: string = resource.jobReference?.jobId ?? `job_${++this.jobs}`;
    if (this.loadJobs.has(`${project}.${jobId}`)) throw new HttpError(409, "duplicate", `Already Exists: Job ${project}:US.${jobId}`);
    const { errors, loaded } = this.runLoad(load, data.toString("utf8"));
    const status: any = { state: "DONE" };
    if (errors.length > 0) Object.assign(status, { errorResult: errors[0], errors });
    const job = {
      kind: "bigquery#job",
      id: `${project}:US.${jobId}`,
      jobReference: { projectId: project, jobId, location: "US" },
      configuration: { jobType: "LOAD", load },
      status,
      statistics: { load: { outputRows: String(loaded) } },
    };
    this.loadJobs.set(`${project}.${jobId}`, { resource: job, polls: this.loadPolls });
    return { ...job, status: { state: this.loadPolls > 0 ? "RUNNING" : "DONE", ...(this.loadPolls > 0 ? {} : status) } };
  }

  /** Loads NDJSON into the destination as BigQuery would, or returns the job's errors (errorResult first) and changes nothing. */
  private runLoad(load: any, data: string): { errors: RowError[]; loaded: number } {
    const ref = load.destinationTable;
    const key = `${ref.projectId}.${ref.datasetId}.${ref.tableId}`;
    const name = `${ref.projectId}:${ref.datasetId}.${ref.tableId}`;
    const fail = (reason: string, message: string) => ({ errors: [{ reason, location: "", message }], loaded: 0 });
    if (load.sourceFormat !== "NEWLINE_DELIMITED_JSON") return fail("invalid", `the local server loads NEWLINE_DELIMITED_JSON only, got ${load.sourceFormat ?? "CSV (the default)"}`);
    if (!this.datasets.has(`${ref.projectId}.${ref.datasetId}`)) return fail("notFound", `Not found: Dataset ${ref.projectId}:${ref.datasetId}`);
    let table = this.tables.get(key);
    const given: SchemaField[] | undefined = load.schema?.fields ? normalizeFields(load.schema.fields) : undefined;
    const disposition = load.writeDisposition ?? "WRITE_APPEND";
    if (table === undefined) {
      if ((load.createDisposition ?? "CREATE_IF_NEEDED") === "CREATE_NEVER") return fail("notFound", `Not found: Table ${name}`);
      if (given === undefined) return fail("invalid", "No schema specified on job or table.");
    } else {
      if (table.resource.type === "VIEW") return fail("invalid", `Cannot load into a view: ${name}`);
      if (disposition === "WRITE_EMPTY" && table.rows.length > 0) return fail("duplicate", `Already Exists: Table ${name}`);
      const change = given && disposition !== "WRITE_TRUNCATE" ? schemaChange(table.resource.schema.fields, given) : undefined;
      if (change) return fail("invalid", `Provided Schema does not match Table ${name}. ${change}.`);
    }
    const fields: SchemaField[] = given ?? table!.resource.schema.fields;
    const rows: Record<string, unknown>[] = [];
    const errors: RowError[] = [];
    let position = 0;
    for (const line of data.split("\n")) {
      const at = position;
      position += Buffer.byteLength(line) + 1;
      if (line.trim() === "") continue;
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line);
      } catch (error) {
        errors.push({ reason: "invalid", location: "file-00000000", message: `Error while reading data, error message: JSON parsing error in row starting at position ${at}: ${(error as Error).message}` });
        continue;
      }
      const problem = loadRowProblem(fields, row, load.ignoreUnknownValues === true);
      if (problem) errors.push({ reason: "invalid", location: "file-00000000", message: `Error while reading data, error message: JSON parsing error in row starting at position ${at}: ${problem}` });
      else rows.push(load.ignoreUnknownValues ? Object.fromEntries(fields.filter((f) => f.name in row).map((f) => [f.name, row[f.name]])) : row);
    }
    if (errors.length > (load.maxBadRecords ?? 0)) {
      const summary = `Error while reading data, error message: JSON table encountered too many errors, giving up. Rows: ${rows.length + errors.length}; errors: ${errors.length}. Please look into the errors[] collection for more details.`;
      return { errors: [{ reason: "invalid", location: "file-00000000", message: summary }, ...errors], loaded: 0 };
    }
    if (table === undefined) {
      this.insertTable(ref.projectId, ref.datasetId, { tableReference: ref, schema: { fields: given }, timePartitioning: load.timePartitioning, clustering: load.clustering });
      table = this.tables.get(key)!;
    }
    if (disposition === "WRITE_TRUNCATE") {
      table.rows = [];
      if (given) table.resource.schema = { fields: given };
    }
    table.rows.push(...rows);
    return { errors: [], loaded: rows.length };
  }

  /** jobs.get: a load job, RUNNING for its first `loadPolls` polls. */
  private getJob(project: string, jobId: string): unknown {
    const job = this.loadJobs.get(`${project}.${jobId}`);
    if (!job) throw new HttpError(404, "notFound", `Not found: Job ${project}:US.${jobId}`);
    if (job.polls > 0) {
      job.polls--;
      return { ...job.resource, status: { state: "RUNNING" } };
    }
    return job.resource;
  }

  /** Recorded load jobs (their upload requests) of a table, oldest first: the job resource and the data. */
  loads(table: string): { configuration: any; data: string }[] {
    return this.requests.filter((r) => r.path.startsWith("/upload/") && r.body?.configuration?.load?.destinationTable?.tableId === table).map((r) => ({ configuration: r.body.configuration, data: r.body.data }));
  }

  private query(project: string, body: any): unknown {
    if (body?.useLegacySql !== false) throw new HttpError(400, "invalidQuery", "the local server runs GoogleSQL only (useLegacySql: false)");
    const match = String(body.query).match(/^SELECT ((?:\w+, )*\w+) FROM `([\w-]+)\.(\w+)\.(\w+)`(?: WHERE TRUE QUALIFY ROW_NUMBER\(\) OVER \(PARTITION BY (\w+) ORDER BY (\w+) DESC\) = 1)?$/);
    if (!match) throw new HttpError(400, "invalidQuery", `the local server does not execute: ${body.query}`);
    const table = this.table(match[2], match[3], match[4]);
    const names = match[1].split(", ");
    const fields = names.map((name) => {
      const field = (table.resource.schema.fields as SchemaField[]).find((f) => f.name === name);
      if (!field) throw new HttpError(400, "invalidQuery", `Unrecognized name: ${name}`);
      return field;
    });
    const jobId = `job_${++this.jobs}`;
    let rows = table.rows;
    const partition = match[5], order = match[6];
    if (partition !== undefined) {
      const latest = new Map<unknown, Record<string, unknown>>();
      for (const row of rows) {
        const seen = latest.get(row[partition]);
        if (seen === undefined || orderValue(row[order]) > orderValue(seen[order])) latest.set(row[partition], row);
      }
      rows = [...latest.values()];
    }
    this.queries.set(jobId, { fields, rows: rows.map((r) => ({ ...r })) });
    return this.queryResults(project, jobId, { maxResults: body.maxResults === undefined ? "" : String(body.maxResults) });
  }

  private queryResults(project: string, jobId: string, query: Record<string, string>): unknown {
    const job = this.queries.get(jobId);
    if (!job) throw new HttpError(404, "notFound", `Not found: Job ${project}:${jobId}`);
    const start = Number(query.pageToken ?? 0);
    const size = query.maxResults ? Number(query.maxResults) : job.rows.length;
    const page = job.rows.slice(start, start + size);
    const next = start + size < job.rows.length ? String(start + size) : undefined;
    return {
      kind: "bigquery#queryResponse",
      jobReference: { projectId: project, jobId, location: "US" },
      jobComplete: true,
      schema: { fields: job.fields },
      totalRows: String(job.rows.length),
      rows: page.map((row) => ({ f: job.fields.map((f) => cell(row[f.name])) })),
      ...(next === undefined ? {} : { pageToken: next }),
    };
  }
}
