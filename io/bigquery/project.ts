/**
 * Where BigQuery's project and credentials come from, as Google's own tools
 * find them, checked before a run starts so that a missing one is one line in
 * well under 5 s (the client library would otherwise probe the GCE metadata
 * server and retry for most of a minute). Never a made-up project: the Pub/Sub
 * emulator's `local-project` means nothing to BigQuery.
 */
import { existsSync, readFileSync } from "fs";
import { connect } from "net";
import { homedir } from "os";
import { join } from "path";
import { ENDPOINT_ENV } from "./client";

/** How to give BigQuery a project, for the message when there is none. */
export const PROJECT_HELP = "give --project, set GOOGLE_CLOUD_PROJECT, or run gcloud config set project PROJECT";

/** gcloud's configuration directory (CLOUDSDK_CONFIG, else ~/.config/gcloud). */
const gcloudDir = (): string => process.env.CLOUDSDK_CONFIG ?? join(homedir(), ".config", "gcloud");

const readJson = (path: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/** The `project` of the [core] section of gcloud's active configuration. */
function gcloudProject(): string | undefined {
  const dir = gcloudDir();
  const active = existsSync(join(dir, "active_config")) ? readFileSync(join(dir, "active_config"), "utf8").trim() : "default";
  const file = join(dir, "configurations", `config_${active || "default"}`);
  if (!existsSync(file)) return undefined;
  let section = "";
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const header = /^\s*\[(.+)\]\s*$/.exec(line);
    if (header) section = header[1];
    const entry = /^\s*project\s*=\s*(\S+)\s*$/.exec(line);
    if (section === "core" && entry) return entry[1];
  }
  return undefined;
}

/** The Application Default Credentials file: GOOGLE_APPLICATION_CREDENTIALS, else gcloud's. */
export function credentialsFile(): string | undefined {
  const path = process.env.GOOGLE_APPLICATION_CREDENTIALS ?? join(gcloudDir(), "application_default_credentials.json");
  return existsSync(path) ? path : undefined;
}

/** BigQuery's project when --project is not given: GOOGLE_CLOUD_PROJECT, gcloud's configuration, then the credentials' own project. */
export function defaultBigQueryProject(): string | undefined {
  const fromEnvironment = process.env.GOOGLE_CLOUD_PROJECT;
  if (fromEnvironment) return fromEnvironment;
  const configured = gcloudProject();
  if (configured) return configured;
  const file = credentialsFile();
  const credentials = file === undefined ? undefined : readJson(file);
  const project = credentials?.project_id ?? credentials?.quota_project_id;
  return typeof project === "string" && project !== "" ? project : undefined;
}

/** Whether a TCP connection to host:port opens within `ms`. */
function reachable(host: string, port: number, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined): void => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(ms, () => done(`no answer within ${ms / 1000} s`));
    socket.once("connect", () => done(undefined));
    socket.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/**
 * Why BigQuery cannot be used from here, in one line, or undefined: no
 * credentials (unless ENDPOINT_ENV points at a server that needs none), or
 * nothing answering at its endpoint within 3 s.
 */
export async function bigQueryAccessProblem(): Promise<string | undefined> {
  const endpoint = process.env[ENDPOINT_ENV];
  if (endpoint === undefined && credentialsFile() === undefined && process.env.METADATA_SERVER_DETECTION !== "assume-present") {
    return "no Google Cloud credentials for BigQuery: run gcloud auth application-default login, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file";
  }
  const url = new URL(endpoint ?? "https://bigquery.googleapis.com");
  const port = Number(url.port || (url.protocol === "http:" ? 80 : 443));
  const problem = await reachable(url.hostname, port, 3000);
  if (problem === undefined) return undefined;
  return `cannot reach BigQuery at ${url.host} (${problem})${endpoint === undefined ? ": check the network or proxy" : ` (${ENDPOINT_ENV})`}`;
}
