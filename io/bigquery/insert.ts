import { Table } from "@google-cloud/bigquery";
import { Row } from "../../schemas/table";
import { RetryableError, RetryClock, RetryPolicy, withRetries } from "./retry";

/** A row of tabledata.insertAll: its JSON and the id BigQuery deduplicates retries by. */
export interface InsertRow {
  insertId: string;
  json: Row;
}

/** A row BigQuery refused, with its reason (e.g. `invalid`) and message. */
export interface RefusedRow {
  row: InsertRow;
  reason: string;
  message: string;
  location?: string;
}

/**
 * Request size. BigQuery allows 50,000 rows and 10 MB per insertAll request
 * and recommends about 500 rows; the byte bound leaves room for the envelope.
 */
export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
}

export const DEFAULT_LIMITS: BatchLimits = { maxRows: 500, maxBytes: 8_000_000 };

/** Requests sent at once per write: BigQuery takes parallel inserts; the bound keeps memory and sockets in check. */
const PARALLEL_REQUESTS = 4;

/** Cuts rows into requests within the limits, in order. A row over maxBytes goes alone (BigQuery judges it). */
function cutBatches(rows: readonly InsertRow[], limits: BatchLimits): InsertRow[][] {
  const out: InsertRow[][] = [];
  let batch: InsertRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (batch.length > 0 && (batch.length >= limits.maxRows || bytes + size > limits.maxBytes)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(row);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

interface InsertAllResponse {
  insertErrors?: { index: number; errors?: { reason?: string; message?: string; location?: string }[] }[];
}

export interface InsertSettings {
  limits: BatchLimits;
  retry: RetryPolicy;
  clock: RetryClock;
}

/**
 * Inserts rows with `skipInvalidRows: false` and `ignoreUnknownValues: false`,
 * so BigQuery refuses a request that holds a bad row whole: the bad rows come
 * back `invalid` (returned to the caller, which dead-letters them), the others
 * `stopped` (sent again at once, without them). Rows failing for any other
 * reason, and failed requests (429, 5xx, network, timeouts), are retried with
 * backoff; past the budget this throws and nothing of the batch counts as written.
 */
export async function insertRows(table: Table, name: string, rows: readonly InsertRow[], settings: InsertSettings): Promise<RefusedRow[]> {
  const batches = cutBatches(rows, settings.limits);
  const refused: RefusedRow[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const batch = batches[next++];
      for (const r of await insertBatch(table, name, batch, settings)) refused.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_REQUESTS, batches.length) }, worker));
  return refused;
}

async function insertBatch(table: Table, name: string, batch: readonly InsertRow[], settings: InsertSettings): Promise<RefusedRow[]> {
  const refused: RefusedRow[] = [];
  let pending = batch;
  // One retry budget for the batch: failed requests and rows failing for a transient reason alike.
  await withRetries(`insertAll into ${name}`, settings.retry, settings.clock, async () => {
    while (pending.length > 0) {
      const sent = pending;
      const answer = await table.request({ method: "POST", uri: "/insertAll", json: { skipInvalidRows: false, ignoreUnknownValues: false, rows: sent } });
      const again: InsertRow[] = [];
      let transient: string | undefined;
      for (const failure of (answer[0] as InsertAllResponse).insertErrors ?? []) {
        const row = sent[failure.index];
        const error = (failure.errors ?? [])[0] ?? {};
        if (error.reason === "invalid") refused.push({ row, reason: error.reason, message: error.message ?? "", location: error.location });
        else {
          again.push(row);
          if (error.reason !== "stopped") transient = `${error.reason}: ${error.message ?? ""}`;
        }
      }
      pending = again;
      if (transient !== undefined) throw new RetryableError(`rows failed with ${transient}`);
    }
  });
  return refused;
}
