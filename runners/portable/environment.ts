import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { existsSync, mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join, resolve } from "path";
import { asDockerEnvironment, TYPESCRIPT_DEFAULT_ENVIRONMENT_URN } from "apache-beam/internal/environments";
import { ArtifactFilePayload, ArtifactInformation, Pipeline } from "apache-beam/proto/beam_runner_api";
import { version as beamVersion } from "apache-beam/version";

/**
 * Workaround for an SDK defect (docs/runners.md): outside LOOPBACK, the
 * SDK's PortableRunner stages the worker's packages itself and runs
 * `npm pack apache-beam@2_49_rc`, a dist-tag that does not exist on the
 * registry (ETARGET), so every docker submission fails. The runner only does
 * that for environments it still finds in the TypeScript default form, so we
 * turn them into docker environments first, with the same three artifacts the
 * SDK would stage, packed from directories on disk: this project, and the
 * apache-beam package `npm ci` installed. No patch of node_modules, nothing
 * to redo after `npm ci`.
 */

export const ROOT = resolve(__dirname, "..", "..", "..");

/** The worker image the SDK would pick: its own, same version. */
export const DEFAULT_SDK_IMAGE = `docker.io/apache/beam_typescript_sdk:${beamVersion.replace("-SNAPSHOT", ".dev")}`;

/** The directory of the installed apache-beam package (its `exports` hide package.json). */
export function beamPackageDir(): string {
  let dir = dirname(require.resolve("apache-beam"));
  while (!existsSync(join(dir, "package.json")) || JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name !== "apache-beam") {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the installed apache-beam package");
    dir = parent;
  }
  return dir;
}

const packed = new Map<string, string>();

/**
 * `npm pack DIR` into a temporary directory, once per directory and process;
 * scripts are skipped (the project is built before it is submitted).
 */
export function npmPack(dir: string): string {
  const cached = packed.get(dir);
  if (cached !== undefined) return cached;
  const destination = mkdtempSync(join(tmpdir(), "beam-pack-"));
  const result = spawnSync("npm", ["pack", dir, "--pack-destination", destination, "--ignore-scripts", "--silent"], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`npm pack ${dir} failed: ${(result.stderr || result.stdout || String(result.error)).trim().split("\n").pop()}`);
  const file = join(destination, result.stdout.trim().split("\n").pop()!);
  packed.set(dir, file);
  return file;
}

const encoder = new TextEncoder();

/** A file to stage (path and digest, read once), as the SDK's own `fileArtifact` describes one. */
function stagedFile(path: string): Uint8Array {
  return ArtifactFilePayload.toBinary({ path: resolve(path), sha256: createHash("sha256").update(readFileSync(path)).digest("hex") });
}

function fileArtifact(file: Uint8Array, roleUrn: string, role?: string): ArtifactInformation {
  return ArtifactInformation.create({
    typeUrn: "beam:artifact:type:file:v1",
    typePayload: file,
    roleUrn,
    rolePayload: role === undefined ? new Uint8Array() : encoder.encode(role),
  });
}

/** The npm packages a TypeScript worker installs before it starts: the project and apache-beam (staged in two roles, as the SDK does). */
export function workerArtifacts(projectTarball: string, beamTarball: string): ArtifactInformation[] {
  const beam = stagedFile(beamTarball);
  return [
    fileArtifact(stagedFile(projectTarball), "beam:artifact:type:npm:v1"),
    fileArtifact(beam, "beam:artifact:type:npm_dep:v1", "apache-beam-unused"),
    fileArtifact(beam, "beam:artifact:type:npm:v1", "apache-beam"),
  ];
}

/** The pipeline with its TypeScript environments turned into docker environments of `image` that install `artifacts`. */
export function withDockerEnvironment(pipeline: Pipeline, image: string, artifacts: readonly ArtifactInformation[]): Pipeline {
  const out = Pipeline.clone(pipeline);
  for (const id of Object.keys(out.components!.environments)) {
    const env = out.components!.environments[id];
    if (env.urn !== TYPESCRIPT_DEFAULT_ENVIRONMENT_URN) continue;
    const docker = asDockerEnvironment(env, image);
    docker.dependencies = [...docker.dependencies, ...artifacts];
    out.components!.environments[id] = docker;
  }
  return out;
}
