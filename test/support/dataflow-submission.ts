import { generateKeyPairSync } from "crypto";
import { writeFileSync } from "fs";
import { join } from "path";
import { Pipeline } from "apache-beam/proto/beam_runner_api";
import { GCP_EXPANSION_SERVICE } from "../../runners/portable/submit";
import { ExpansionDouble } from "./beam-doubles";
import { DataflowDouble } from "./dataflow-double";
import { TEST_PYTHON_PATH } from "./python-beam";

/** Submitting through Beam's Python Dataflow job service to the Dataflow double: credentials, environment, what was staged. */

/** A service account key whose token URI is the double's: Google's auth library signs a JWT and trades it there. */
export function serviceAccountKey(dir: string, tokenUri: string, email = "launcher@test-project.iam.gserviceaccount.com"): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const file = join(dir, `${email}.json`);
  const key = { type: "service_account", project_id: "test-project", private_key_id: "k1", private_key: privateKey, client_email: email, client_id: "1", token_uri: tokenUri };
  writeFileSync(file, JSON.stringify(key));
  return file;
}

/**
 * The environment of a submission through Beam's own Python Dataflow job
 * service (apache-beam[gcp] 2.49.0 from PyPI): the SDK starts it with the
 * venv's Python; its Dataflow and Cloud Storage calls go to the double, with
 * credentials from a key file; the expansion service is the gRPC double.
 */
export function submissionEnv(python: string, dataflow: DataflowDouble, expansion: ExpansionDouble, keyFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: TEST_PYTHON_PATH, BEAM_TEST_STORAGE_ENDPOINT: dataflow.endpoint };
  const overrides: Record<string, string> = { "python:*": python };
  overrides[GCP_EXPANSION_SERVICE] = expansion.address;
  env.BEAM_SERVICE_OVERRIDES = JSON.stringify(overrides);
  env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
  for (const proxy of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"]) delete env[proxy];
  return env;
}

/** The pipeline the runner staged for the job (the `pipelineUrl` option), from the double's Cloud Storage. */
export function stagedPipeline(dataflow: DataflowDouble, job: Record<string, any>): Pipeline {
  const url: string = job.environment.sdkPipelineOptions.options.pipelineUrl;
  return Pipeline.fromBinary(dataflow.objects.get(url)!);
}

