import { BigQuery, BigQueryOptions } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";

/**
 * Points the client at another server speaking the BigQuery REST API (the
 * tests' local server, or an emulator), e.g. `http://127.0.0.1:9050`. Requests
 * then go to `<endpoint>/bigquery/v2/...` without credentials.
 * (The library's own BIGQUERY_EMULATOR_HOST drops the `/bigquery/v2` prefix and
 * still asks for credentials, so the sink does not use it.)
 */
export const ENDPOINT_ENV = "BIGQUERY_API_ENDPOINT";

interface ClientSettings {
  project: string;
  /** Overrides ENDPOINT_ENV. */
  endpoint?: string;
}

/**
 * A BigQuery client whose own retries are off: the sink retries with its own
 * policy and deadline (io/bigquery/retry.ts), so attempts are counted once
 * and tests see every request.
 */
export function bigQueryClient(settings: ClientSettings): BigQuery {
  const endpoint = settings.endpoint ?? process.env[ENDPOINT_ENV];
  const options: BigQueryOptions = {
    projectId: settings.project,
    retryOptions: { autoRetry: false, maxRetries: 0 },
    ...(endpoint ? { apiEndpoint: endpoint, authClient: new PassThroughClient() } : {}),
  };
  return new BigQuery(options);
}
