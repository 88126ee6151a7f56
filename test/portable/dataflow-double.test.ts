import { expect } from "chai";
import { DataflowDouble, startDataflowDouble } from "../support/dataflow-double";

/** A signed-looking JWT bearer assertion for `iss` (the double reads the claims, as it cannot check Google's signature). */
const assertion = (iss: string): string => [{ alg: "RS256" }, { iss, aud: "token" }, "sig"].map((p) => Buffer.from(typeof p === "string" ? p : JSON.stringify(p)).toString("base64url")).join(".");

/** A job request in the shape Beam's Python runner sends (projects.locations.jobs.create body). */
const job = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "alerts-1",
  type: "JOB_TYPE_STREAMING",
  environment: { tempStoragePrefix: "storage.googleapis.com/b/temp", workerPools: [{ kind: "harness", packages: [{ name: "p.tgz", location: "storage.googleapis.com/b/staging/p.tgz" }] }] },
  ...overrides,
});

describe("Dataflow API double (the APIs Beam's Python Dataflow runner calls)", () => {
  let double: DataflowDouble;
  let token: string;
  const jobsUrl = (): string => `${double.endpoint}/v1b3/projects/p/locations/europe-west1/jobs`;
  const post = (url: string, body: unknown, auth = true): Promise<Response> =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

  before(async () => {
    double = await startDataflowDouble({ refusedIdentities: ["revoked@p.iam.gserviceaccount.com"], buckets: ["b"] });
    const granted = await fetch(`${double.endpoint}/token`, { method: "POST", body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: assertion("launcher@p.iam.gserviceaccount.com") }) });
    token = ((await granted.json()) as { access_token: string }).access_token;
    const upload = await fetch(`${double.endpoint}/upload/storage/v1/b/b/o?uploadType=media&name=staging/p.tgz`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: "tarball" });
    expect(upload.status).to.equal(200);
  });

  after(() => double.close());

  it("issues a token for a JWT bearer grant and refuses an identity Google would refuse (invalid_grant)", async () => {
    const refused = await fetch(`${double.endpoint}/token`, { method: "POST", body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: assertion("revoked@p.iam.gserviceaccount.com") }) });
    expect(refused.status).to.equal(400);
    expect(await refused.json()).to.include({ error: "invalid_grant" });
  });

  it("creates a job with the staged packages, and answers it with an id and its state", async () => {
    const created = await post(jobsUrl(), job());
    expect(created.status).to.equal(200);
    const body = (await created.json()) as { id: string; currentState: string };
    expect(body.currentState).to.equal("JOB_STATE_PENDING");
    const got = await fetch(`${jobsUrl()}/${body.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(await got.json()).to.include({ id: body.id, name: "alerts-1", currentState: "JOB_STATE_RUNNING" });
  });

  const refusals: [string, () => Promise<Response>, number, RegExp][] = [
    ["no token", () => post(jobsUrl(), job(), false), 401, /authentication credential/],
    ["an invalid job name", () => post(jobsUrl(), job({ name: "Alerts_1" })), 400, /job name/],
    ["no job type", () => post(jobsUrl(), job({ type: undefined })), 400, /job type/],
    ["a location other than the URL's", () => post(jobsUrl(), job({ location: "us-central1" })), 400, /location/],
    ["a package that is not staged", () => post(jobsUrl(), job({ environment: { tempStoragePrefix: "storage.googleapis.com/b/temp", workerPools: [{ packages: [{ name: "x", location: "storage.googleapis.com/b/x" }] }] } })), 400, /does not exist/],
    ["temp storage outside Cloud Storage", () => post(jobsUrl(), job({ environment: { tempStoragePrefix: "/tmp", workerPools: [{}] } })), 400, /Temp storage/],
    ["an update of a job that is not running", () => post(jobsUrl(), job({ replaceJobId: "nope" })), 400, /Could not find running job/],
  ];
  for (const [what, request, status, message] of refusals) {
    it(`refuses ${what} (${status}, Google's error envelope)`, async () => {
      const response = await request();
      expect(response.status).to.equal(status);
      const error = ((await response.json()) as { error: { code: number; message: string } }).error;
      expect(error.code).to.equal(status);
      expect(error.message).to.match(message);
    });
  }
});
