import { spawnSync } from "child_process";
import { existsSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { version as beamVersion } from "apache-beam/version";
import { ROOT } from "./environment";

/**
 * Beam's Python SDK at the TypeScript SDK's version, with its GCP extras
 * (the Dataflow job service and runner), in a virtual environment cached in
 * `.cache/` (gitignored) beside the Java services' jars: created by the first
 * test or benchmark that needs it (about 700 MB from PyPI; minutes on a fresh
 * machine), reused afterwards.
 */
export const PYTHON_BEAM_VENV = join(ROOT, ".cache", `beam-python-${beamVersion}`);
/** Written once pip succeeded: a venv without it is an interrupted install and is made again. */
const COMPLETE = join(PYTHON_BEAM_VENV, "installed");

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 30 * 60_000, maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${(result.stderr || String(result.error)).trim().split("\n").slice(-3).join(" | ")}`);
}

/** The venv's python, installing it first when needed. */
export function beamPython(): string {
  const python = join(PYTHON_BEAM_VENV, "bin", "python");
  if (existsSync(COMPLETE)) return python;
  rmSync(PYTHON_BEAM_VENV, { recursive: true, force: true });
  run("python3", ["-m", "venv", PYTHON_BEAM_VENV]);
  run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", `apache-beam[gcp]==${beamVersion}`]);
  writeFileSync(COMPLETE, `apache-beam[gcp]==${beamVersion}\n`);
  return python;
}
