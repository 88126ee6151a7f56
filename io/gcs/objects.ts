import { gcpMetadata, GoogleAuth } from "google-auth-library";
import { credentialsFile } from "../bigquery/project";
import { SourceError } from "../sources/source";

/**
 * The Cloud Storage objects a `gs://bucket/prefix/glob` pattern names, with
 * what change detection needs of each (docs/catalog.md): its size and MD5,
 * as the JSON API's objects.list reports them. Only listing: the objects are
 * read by the Dataflow job, not here.
 */

/**
 * Points the listing at another server speaking the Cloud Storage JSON API
 * (the tests' double), e.g. `http://127.0.0.1:9060`: requests go to
 * `<endpoint>/storage/v1/...`, still with Application Default Credentials.
 */
export const STORAGE_ENDPOINT_ENV = "STORAGE_API_ENDPOINT";

const DEFAULT_ENDPOINT = "https://storage.googleapis.com";
const READ_SCOPE = "https://www.googleapis.com/auth/devstorage.read_only";

/** An object as the listing found it. */
export interface StorageObject {
  /** gs://bucket/name */
  readonly uri: string;
  readonly name: string;
  readonly size: number;
  /** Lower-case hex, as `md5sum` (and runners/snapshots.ts for a local file) prints it. */
  readonly md5: string;
}

/** Cloud Storage could not be asked, or refused: one line, what to check. */
export class StorageError extends SourceError {}

/** A parsed `gs://bucket/objects` pattern. */
export interface ObjectPattern {
  readonly bucket: string;
  /** The object names' part before the first wildcard: the listing's `prefix`. */
  readonly prefix: string;
  /** Whether an object's name matches the whole pattern. */
  matches(name: string): boolean;
}

const BUCKET = /^[a-z0-9][-_.a-z0-9]{1,220}[a-z0-9]$/;

const escapeRegExp = (text: string): string => text.replace(/[.+^${}()|[\]\\]/g, "\\$&");

/** `gs://bucket/dir/title.*.tsv.gz`: `*` is any run of characters but `/`, `?` one such character; anything else is literal. */
export function parseObjectPattern(pattern: string): ObjectPattern {
  const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(pattern);
  if (m === null) throw new StorageError(`--input ${pattern}: not a gs://bucket/objects pattern`);
  const bucket = m[1];
  const glob = m[2];
  if (!BUCKET.test(bucket)) throw new StorageError(`--input ${pattern}: ${bucket} is not a bucket name`);
  const wildcard = glob.search(/[*?]/);
  const prefix = wildcard < 0 ? glob : glob.slice(0, wildcard);
  const regex = new RegExp(`^${glob.split(/([*?])/).map((part) => (part === "*" ? "[^/]*" : part === "?" ? "[^/]" : escapeRegExp(part))).join("")}$`);
  return { bucket, prefix, matches: (name) => regex.test(name) };
}

/** The JSON API's `md5Hash` (base64 of the 16 bytes) as hex. */
export function md5Hex(md5Hash: string): string {
  const bytes = Buffer.from(md5Hash, "base64");
  if (bytes.length !== 16) throw new StorageError(`not an MD5 (base64 of 16 bytes): ${JSON.stringify(md5Hash)}`);
  return bytes.toString("hex");
}

export interface ListOptions {
  /** The job's project: given, the auth library does not look for one (it would run gcloud for it). */
  readonly project?: string;
  /** Objects per page (the API's maxResults; it gives at most 1,000). */
  readonly pageSize?: number;
  /** Per request, credentials included: a server that does not answer is an error after this long. */
  readonly timeoutMs?: number;
}

interface ObjectsPage {
  items?: { name: string; size: string; md5Hash?: string }[];
  nextPageToken?: string;
}

/** Settles with `work`, or rejects with `message` once `ms` passed. */
async function within<T>(ms: number, message: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StorageError(message)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether Application Default Credentials may be found without a network
 * probe: a key file or gcloud's, or a Google Cloud machine (a launcher VM:
 * its metadata server), or a detection mode set by hand. Elsewhere the auth
 * library would probe for a metadata server and print a warning.
 */
const mayHaveCredentials = (): boolean => credentialsFile() !== undefined || process.env.METADATA_SERVER_DETECTION !== undefined || gcpMetadata.getGCPResidency();

const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split("\n")[0];

/** Google's error envelope, `{"error": {"code", "message"}}`, as one line; what the body was otherwise. */
async function refusal(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (message) return `${response.status} ${message}`;
  } catch {
    // not JSON: a proxy's page
  }
  return `${response.status} ${response.statusText || text.slice(0, 200)}`;
}

/** Statuses Cloud Storage's retry strategy calls transient: the request is repeated, after 0.5, 1 and 2 s. */
const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);
const ATTEMPTS = 4;

/** One page of objects.list. Nothing answering, or not in time, is not retried: the run stops at once. */
async function listPage(url: URL, headers: Headers, timeoutMs: number, what: { where: string; pattern: string; bucket: string }): Promise<ObjectsPage> {
  let attempt = 0;
  for (;;) {
    attempt += 1;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const response = await fetch(url, { headers, signal: abort.signal });
      if (response.ok) return (await response.json()) as ObjectsPage;
      const why = await refusal(response);
      if (!TRANSIENT.has(response.status) || attempt === ATTEMPTS) {
        throw new StorageError(`${what.where} refused to list gs://${what.bucket} (${why}${attempt > 1 ? `; ${attempt} attempts` : ""})`);
      }
    } catch (error) {
      if (error instanceof StorageError) throw error;
      const cause = abort.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : (error as { cause?: { code?: string } }).cause?.code ?? firstLine(error);
      throw new StorageError(`cannot reach ${what.where} (${cause}) to list ${what.pattern}`);
    } finally {
      clearTimeout(timer);
    }
    await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (attempt - 1)));
  }
}

/**
 * Every object `pattern` matches, sorted by name (objects.list pages through
 * the prefix; the glob is matched here). A pattern that matches nothing, a
 * bucket that does not exist, refused credentials or a server that does not
 * answer within `timeoutMs` are a StorageError, one line; a transient
 * status (429, 5xx) is retried first.
 */
export async function listObjects(pattern: string, options: ListOptions = {}): Promise<StorageObject[]> {
  const parsed = parseObjectPattern(pattern);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const endpoint = (process.env[STORAGE_ENDPOINT_ENV] ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
  const where = process.env[STORAGE_ENDPOINT_ENV] === undefined ? "Cloud Storage" : `Cloud Storage at ${endpoint} (${STORAGE_ENDPOINT_ENV})`;
  const login = "run gcloud auth application-default login, or set GOOGLE_APPLICATION_CREDENTIALS";
  if (!mayHaveCredentials()) throw new StorageError(`${where}: no Google Cloud credentials: ${login}`);
  const auth = new GoogleAuth({ scopes: [READ_SCOPE], ...(options.project === undefined ? {} : { projectId: options.project }) });
  let headers: Headers;
  try {
    headers = await within(timeoutMs, `${where}: no credentials within ${timeoutMs / 1000} s`, auth.getRequestHeaders());
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError(`${where}: no Google Cloud credentials (${firstLine(error)}): ${login}`);
  }
  const found: StorageObject[] = [];
  let pageToken: string | undefined;
  do {
    const url = new URL(`${endpoint}/storage/v1/b/${encodeURIComponent(parsed.bucket)}/o`);
    url.searchParams.set("prefix", parsed.prefix);
    if (options.pageSize !== undefined) url.searchParams.set("maxResults", String(options.pageSize));
    if (pageToken !== undefined) url.searchParams.set("pageToken", pageToken);
    const page = await listPage(url, headers, timeoutMs, { where, pattern, bucket: parsed.bucket });
    for (const item of page.items ?? []) {
      if (!parsed.matches(item.name)) continue;
      // Composite objects (parallel uploads) carry only a CRC32C: their content has no MD5 to compare.
      if (item.md5Hash === undefined) throw new StorageError(`gs://${parsed.bucket}/${item.name} has no MD5 (a composite object): copy it whole, e.g. gcloud storage cp without parallel composite uploads`);
      found.push({ uri: `gs://${parsed.bucket}/${item.name}`, name: item.name, size: Number(item.size), md5: md5Hex(item.md5Hash) });
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  if (found.length === 0) throw new StorageError(`--input: no objects match ${pattern}`);
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
