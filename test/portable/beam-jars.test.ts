import { expect } from "chai";
import { readdirSync, readFileSync } from "fs";
import { createServer, Server } from "http";
import { AddressInfo } from "net";
import { join } from "path";
import { freePort } from "../../io/processes";
import { BeamServicesError, cachedDownload, MAVEN_REPOSITORY_ENV } from "../../runners/portable/beam-services";
import { tempDir } from "../helpers";
import { runCliAsync } from "../support/run-async";

const JAR = Buffer.alloc(100_000, 7);

/** A Maven repository that serves JAR at every path ending in .jar: whole, cut off after half its bytes, or refused. */
async function repository(behaviour: "whole" | "cut" | "404"): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    if (behaviour === "404" || !request.url!.endsWith(".jar")) return void response.writeHead(404).end("Not Found");
    response.writeHead(200, { "content-type": "application/java-archive", "content-length": JAR.length });
    if (behaviour === "whole") return void response.end(JAR);
    response.write(JAR.subarray(0, JAR.length / 2), () => setTimeout(() => response.socket?.destroy(), 50));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/maven2`, server };
}

describe("downloads of Beam's jars: complete or nothing", () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));
  const serve = async (behaviour: "whole" | "cut" | "404") => {
    const repo = await repository(behaviour);
    servers.push(repo.server);
    return repo.url;
  };

  it("a complete download lands under the jar's name, and a second call finds it without asking again", async () => {
    const cache = tempDir();
    const url = `${await serve("whole")}/org/apache/beam/x/2.49.0/x-2.49.0.jar`;
    const path = await cachedDownload(url, cache);
    expect(path).to.equal(join(cache, "x-2.49.0.jar"));
    expect(readFileSync(path).equals(JAR)).to.equal(true);
    expect(readdirSync(cache)).to.deep.equal(["x-2.49.0.jar"]);
    expect(await cachedDownload("http://127.0.0.1:1/nothing/x-2.49.0.jar", cache)).to.equal(path);
  });

  for (const [behaviour, reason] of [["cut", /got 50000 of 100000 bytes|aborted|premature close/i], ["404", /HTTP 404/]] as const) {
    it(`a download ${behaviour === "cut" ? "cut off halfway" : "refused (404)"} leaves nothing in the cache`, async () => {
      const cache = tempDir();
      const url = `${await serve(behaviour)}/org/apache/beam/x/2.49.0/x-2.49.0.jar`;
      const failed = await cachedDownload(url, cache).then(() => undefined, (error: Error) => error);
      expect(failed).to.be.instanceOf(BeamServicesError);
      expect(failed!.message).to.match(reason);
      expect(readdirSync(cache)).to.deep.equal([]);
    });
  }

  const dataflow = ["alerts", "--runner", "dataflow", "--project", "my-proj", "--region", "us-central1", "--tempLocation", "gs://bucket-x/tmp", "--sdkContainerImage", "gcr.io/x/y:1"];
  for (const kind of ["no network (nothing listens)", "a download cut off halfway"]) {
    it(`--runner dataflow with ${kind}: one line, exit 1, and no partial jar in the SDK's cache`, async () => {
      const home = tempDir();
      const mirror = kind.startsWith("no network") ? `http://127.0.0.1:${await freePort()}/maven2` : await serve("cut");
      // (A computed key in an object literal escapes the closure transform: set it apart.)
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
      env[MAVEN_REPOSITORY_ENV] = mirror;
      delete env.BEAM_SERVICE_OVERRIDES;
      const run = await runCliAsync(dataflow, env);
      expect(run.status, run.stderr).to.equal(1);
      const lines = run.stderr.trim().split("\n");
      expect(lines[0]).to.match(/^downloading http:\/\/127\.0\.0\.1:\d+\/maven2\/org\/apache\/beam\/beam-sdks-java-io-google-cloud-platform-expansion-service\/2\.49\.0\/\S+\.jar into /);
      expect(lines.slice(1)).to.have.length(1);
      expect(lines[1]).to.match(/^error: downloading Beam's expansion service failed: cannot download \S+: .+ \(without a network: --expansionService names a running one; \$BEAM_MAVEN_REPOSITORY a Maven mirror\)$/);
      expect(readdirSync(join(home, ".apache_beam", "cache", "jars"))).to.deep.equal([]);
    });
  }
});
