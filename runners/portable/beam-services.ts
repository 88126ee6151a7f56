import { ChildProcess, spawn, spawnSync } from "child_process";
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "fs";
import { get as httpGet, IncomingMessage } from "http";
import { get as httpsGet } from "https";
import { pipeline } from "stream/promises";
import { connect } from "net";
import { basename, join } from "path";
import { JavaJarService, Service } from "apache-beam/utils/service";
import { freePort, stopProcessGroup } from "../../io/processes";
import { ROOT } from "./environment";

/**
 * Beam's Java services for a local portable run, from Maven Central: the
 * Flink job server (an embedded Flink) and the expansion service with Beam's
 * GCP IO (the Pub/Sub read). Central refuses the shaded jars the SDK would
 * download, and serves the non-shaded artifacts, so `services/pom.xml`
 * resolves them once into a cached folder and both run with `java -cp`.
 */

const BEAM_JAVA_VERSION = "2.49.0";
const POM = join(ROOT, "runners", "portable", "services", "pom.xml");

/** Where the jars are cached: `$BEAM_SERVICES_CACHE`, or `.cache/beam-services/<version>` in the project (gitignored). */
export const servicesDir = (): string => process.env.BEAM_SERVICES_CACHE ?? join(ROOT, ".cache", "beam-services", BEAM_JAVA_VERSION);
const libDir = (): string => join(servicesDir(), "lib");
/** Written last by an install that completed: its absence means install again. */
const marker = (): string => join(servicesDir(), "installed");

/** A service could not be installed or started: one line for the user. */
export class BeamServicesError extends Error {}

/** Whether the jars are in the cache (no Maven, no network needed). */
export const servicesInstalled = (): boolean => existsSync(marker());

/**
 * Resolves the jars into the cache with Maven (`mvn dependency:copy-dependencies`),
 * unless an earlier install completed. The first run downloads about 190 MB;
 * later runs are offline. Returns the folder of the jars.
 */
export function installServices(log: (line: string) => void = () => undefined): string {
  if (servicesInstalled()) return libDir();
  const staging = `${libDir()}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`resolving Beam ${BEAM_JAVA_VERSION}'s Flink job server and expansion service from Maven Central into ${servicesDir()} (first time only)`);
  const mvn = spawnSync("mvn", ["-q", "-B", "-f", POM, "dependency:copy-dependencies", `-DoutputDirectory=${staging}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (mvn.error) throw new BeamServicesError(`cannot run mvn (${mvn.error.message}): install Maven and a JDK 17 (Debian: apt install maven openjdk-17-jdk-headless)`);
  if (mvn.status !== 0) {
    const last = `${mvn.stdout}\n${mvn.stderr}`.split("\n").filter((l) => /ERROR/.test(l))[0] ?? `exit code ${mvn.status}`;
    throw new BeamServicesError(`mvn could not resolve Beam's Java services: ${last.replace(/\u001b\[[0-9;]*m/g, "").trim()}`);
  }
  rmSync(libDir(), { recursive: true, force: true });
  renameSync(staging, libDir());
  writeFileSync(marker(), `${readdirSync(libDir()).sort().join("\n")}\n`);
  return libDir();
}

/** A download that got no bytes for this long is given up. */
const DOWNLOAD_IDLE_MS = 60_000;

/**
 * Downloads `url` into `cacheDir` under its own name, unless it is there:
 * into a temporary file beside it, renamed once every byte announced has
 * arrived. A failed or interrupted download leaves nothing that looks like
 * the file (the SDK's own downloader could leave an empty or partial jar, or
 * an error page under the jar's name). Returns the file's path.
 */
export async function cachedDownload(url: string, cacheDir: string, log: (line: string) => void = () => undefined): Promise<string> {
  const dest = join(cacheDir, basename(new URL(url).pathname));
  if (existsSync(dest)) return dest;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${dest}.partial-${process.pid}`;
  log(`downloading ${url} into ${cacheDir} (once)`);
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = (url.startsWith("https:") ? httpsGet : httpGet)(url, resolve);
      request.setTimeout(DOWNLOAD_IDLE_MS, () => request.destroy(new Error(`no data for ${DOWNLOAD_IDLE_MS / 1000} s`)));
      request.on("error", reject);
    });
    if (response.statusCode !== 200) {
      response.resume();
      throw new Error(`HTTP ${response.statusCode}`);
    }
    await pipeline(response, createWriteStream(partial));
    const expected = Number(response.headers["content-length"] ?? NaN);
    const received = statSync(partial).size;
    if (!Number.isNaN(expected) && received !== expected) throw new Error(`got ${received} of ${expected} bytes`);
    renameSync(partial, dest);
    return dest;
  } catch (error) {
    rmSync(partial, { force: true });
    throw new BeamServicesError(`cannot download ${url}: ${(error as Error).message}`);
  }
}

/** A Maven repository to download Beam's jars from instead of Maven Central (a mirror), e.g. `https://maven.example.com/maven2`. */
export const MAVEN_REPOSITORY_ENV = "BEAM_MAVEN_REPOSITORY";

/**
 * The jar of a Beam Java service the SDK would start from its Gradle target
 * (the GCP expansion service for Pub/Sub and BigQuery IO), from Maven Central
 * or $BEAM_MAVEN_REPOSITORY, in the SDK's own cache (~/.apache_beam/cache/jars),
 * downloaded by cachedDownload.
 */
export async function beamJar(gradleTarget: string, log: (line: string) => void = () => undefined): Promise<string> {
  const url = await JavaJarService.gradleToJar(gradleTarget);
  const mirror = process.env[MAVEN_REPOSITORY_ENV];
  const from = mirror === undefined ? url : url.replace(JavaJarService.APACHE_REPOSITORY, mirror.replace(/\/+$/, ""));
  return cachedDownload(from, JavaJarService.JAR_CACHE, log).catch((error: Error) => {
    throw new BeamServicesError(`${error.message} (without a network: --expansionService names a running one; $${MAVEN_REPOSITORY_ENV} a Maven mirror)`);
  });
}

/** JDK 17 closes the JDK internals Flink 1.15 and Beam's coders reflect on. */
const OPEN_PACKAGES = ["java.base/java.lang", "java.base/java.util", "java.base/java.lang.reflect", "java.base/java.io", "java.base/java.nio", "java.base/sun.nio.ch", "java.base/java.net", "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic", "java.base/java.time", "java.base/java.text", "java.sql/java.sql"];

/** Resolves once something accepts connections on the port, or rejects when the process ended first or the time is up. */
async function listening(port: number, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new BeamServicesError(`exited with code ${child.exitCode}: ${log().trim().split("\n").slice(-3).join(" | ")}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new BeamServicesError(`did not listen on port ${port} within ${timeoutMs / 1000} s`);
}

/**
 * A Java main class run from the cached classpath on a free port, as the SDK's
 * Service (start() resolves to its address). Its log goes to
 * `<cache>/logs/<port>-<class>.log`; it runs in its own process group, which
 * stop() ends.
 */
class JavaService implements Service {
  private child?: ChildProcess;

  constructor(
    private readonly name: string,
    private readonly mainClass: string,
    private readonly args: (port: number) => string[],
  ) {}

  async start(): Promise<string> {
    const lib = installServices((line) => process.stderr.write(`${line}\n`));
    const port = await freePort();
    mkdirSync(join(servicesDir(), "logs"), { recursive: true });
    const logFile = join(servicesDir(), "logs", `${port}-${this.mainClass.split(".").pop()}.log`);
    const fd = openSync(logFile, "w");
    // NO_GCE_CHECK: Google's credential lookup would probe the metadata server of a Compute Engine VM.
    const child = spawn("java", [...OPEN_PACKAGES.map((p) => `--add-opens=${p}=ALL-UNNAMED`), "-cp", join(lib, "*"), this.mainClass, ...this.args(port)], {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...process.env, NO_GCE_CHECK: "true" },
    });
    closeSync(fd);
    this.child = child;
    let failure = "";
    child.once("error", (error) => void (failure = error.message));
    const log = (): string => `${failure}\n${existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-4000) : ""}`;
    try {
      await listening(port, child, log, 120_000);
    } catch (error) {
      await this.stop();
      throw new BeamServicesError(`${this.name} ${(error as Error).message}`);
    }
    return `localhost:${port}`;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child !== undefined) await stopProcessGroup(child, 10_000);
  }
}

/** Beam's Flink job server with an embedded Flink (`--flink-master [local]`). */
export const flinkJobServer = (): Service =>
  new JavaService("Beam's Flink job server", "org.apache.beam.runners.flink.FlinkJobServerDriver", (port) => [
    "--job-port", String(port), "--artifact-port", "0", "--expansion-port", "0", "--flink-master", "[local]",
  ]);

/**
 * Beam's expansion service with the GCP IO. The transforms it expands run in
 * Beam's EMBEDDED environment, inside the Flink job server's JVM (no Docker);
 * `--filesToStage` names one small file, so the expansion carries no copy of
 * the classpath for the SDK to fetch.
 */
export const gcpExpansionService = (): Service =>
  new JavaService("Beam's expansion service", "org.apache.beam.sdk.expansion.service.ExpansionService", (port) => [
    String(port), "--defaultEnvironmentType=EMBEDDED", `--filesToStage=${marker()}`,
  ]);
