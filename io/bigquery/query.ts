import { BigQuery } from "@google-cloud/bigquery";
import { RetryClock, RetryPolicy, withRetries } from "./retry";

/** Rows per result page. */
const PAGE_ROWS = 10_000;
/** How long one jobs.query / getQueryResults call waits for the job before answering jobComplete: false. */
const WAIT_MS = 10_000;

interface QueryResponse {
  jobComplete?: boolean;
  jobReference?: { jobId: string; location?: string };
  schema?: { fields: { name: string }[] };
  rows?: { f: { v: string | null }[] }[];
  pageToken?: string;
}

/**
 * Runs a read-only GoogleSQL statement through jobs.query and pages through
 * jobs.getQueryResults. Values come back as BigQuery sends them: strings
 * (or null), by column name. Each call is retried like any other request;
 * repeating a SELECT is harmless.
 */
export async function queryRows(client: BigQuery, sql: string, retry: RetryPolicy, clock: RetryClock): Promise<Record<string, string | null>[]> {
  const call = (what: string, reqOpts: Parameters<BigQuery["request"]>[0]): Promise<QueryResponse> =>
    withRetries(what, retry, clock, () => new Promise((resolve, reject) => client.request(reqOpts, (error, body) => (error ? reject(error) : resolve(body as QueryResponse)))));
  const out: Record<string, string | null>[] = [];
  let page = await call("query", { method: "POST", uri: "/queries", json: { query: sql, useLegacySql: false, maxResults: PAGE_ROWS, timeoutMs: WAIT_MS } });
  for (;;) {
    if (page.jobComplete) {
      const names = (page.schema?.fields ?? []).map((f) => f.name);
      for (const row of page.rows ?? []) {
        const record: Record<string, string | null> = {};
        row.f.forEach((cell, i) => (record[names[i]] = cell.v));
        out.push(record);
      }
      if (page.pageToken === undefined) return out;
    }
    const job = page.jobReference!;
    const qs: Record<string, string | number> = { maxResults: PAGE_ROWS, timeoutMs: WAIT_MS };
    if (page.jobComplete && page.pageToken !== undefined) qs.pageToken = page.pageToken;
    if (job.location) qs.location = job.location;
    page = await call("getQueryResults", { method: "GET", uri: `/queries/${job.jobId}`, qs });
  }
}
