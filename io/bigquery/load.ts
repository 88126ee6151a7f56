import { randomUUID } from "crypto";
import { Job, JobLoadMetadata, Table } from "@google-cloud/bigquery";
import { TableSpec } from "../../schemas/table";
import { RetryClock, RetryPolicy, withRetries } from "./retry";
import { tableResource } from "./tables";

/**
 * BigQuery load jobs (jobs.insert with `configuration.load`): a file of
 * newline-delimited JSON rows uploaded with the job, which BigQuery applies
 * whole or not at all. WRITE_TRUNCATE replaces the table's rows atomically,
 * which streamed rows cannot do (rows in the streaming buffer, the last 30
 * minutes' inserts, cannot be deleted): the catalog replaces a changed
 * file's table this way (docs/bigquery.md#load-jobs).
 */

export type WriteDisposition = "WRITE_TRUNCATE" | "WRITE_APPEND";

/** A load job that BigQuery ran and refused: its errorResult, then the first of its row errors. */
export class LoadJobError extends Error {}

interface JobStatus {
  errorResult?: { message?: string };
  errors?: { message?: string }[];
}

/** A load job's `configuration.load` for `spec`'s table, without source or destination: NDJSON rows, never creating the table, with its schema, partitioning and clustering, so a load can never change them. */
export function loadConfiguration(spec: TableSpec, disposition: WriteDisposition): JobLoadMetadata {
  const resource = tableResource(spec);
  return {
    sourceFormat: "NEWLINE_DELIMITED_JSON",
    writeDisposition: disposition,
    createDisposition: "CREATE_NEVER",
    schema: resource.schema,
    timePartitioning: resource.timePartitioning,
    clustering: resource.clustering,
  } as JobLoadMetadata;
}

/**
 * Loads `file` (NDJSON, the rows of `spec` as toJsonRow writes them) into the
 * table with `disposition` (loadConfiguration), and waits until the job is
 * DONE. A transient failure of the upload is retried with the same job id: a job the first attempt created is
 * found (409) and waited for instead of being run twice.
 */
export async function loadTable(table: Table, spec: TableSpec, file: string, disposition: WriteDisposition, retry: RetryPolicy, clock: RetryClock): Promise<number> {
  const jobId = `load_${spec.name}_${randomUUID().replace(/-/g, "")}`;
  const metadata = { jobId, ...loadConfiguration(spec, disposition) } as JobLoadMetadata;
  const what = `load job ${jobId} into ${spec.name} (${disposition})`;
  const job = await withRetries(what, retry, clock, async () => {
    try {
      return (await table.createLoadJob(file, { ...metadata }))[0];
    } catch (error) {
      if ((error as { code?: unknown }).code === 409) return table.bigQuery.job(jobId, { location: table.location });
      throw error;
    }
  });
  const done = await waitDone(job);
  return Number(done.statistics?.load?.outputRows ?? 0);
}

/** Polls jobs.get until the job is DONE; its errorResult becomes a LoadJobError. */
async function waitDone(job: Job): Promise<{ statistics?: { load?: { outputRows?: string } } }> {
  try {
    const response = (await job.promise()) as unknown[];
    return response[0] as { statistics?: { load?: { outputRows?: string } } };
  } catch (error) {
    // jobs.get's answer, kept on the job: its errorResult, and the row errors after it.
    const status = (job.metadata as { status?: JobStatus } | undefined)?.status;
    const result = status?.errorResult?.message;
    if (result === undefined) throw error;
    const first = (status?.errors ?? []).find((e) => e.message !== result)?.message;
    throw new LoadJobError(`BigQuery ${job.id}: ${result}${first ? `; first error: ${first}` : ""}`);
  }
}
