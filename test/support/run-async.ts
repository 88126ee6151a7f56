import { spawn, SpawnOptions } from "child_process";
import { join } from "path";
import { CliResult, ROOT } from "../helpers";

/**
 * Runs `npm run pipeline -- <args>` (without the build step) without blocking
 * this process: needed when the test process itself serves the API the
 * pipeline talks to (runCli's spawnSync would deadlock).
 */
export function runCliAsync(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return spawnAsync(process.execPath, [join(ROOT, "dist", "cli", "main.js"), ...args], { cwd: ROOT, env });
}

/** Runs a program to its end without blocking this process, collecting its output. */
export function spawnAsync(command: string, args: readonly string[], options: Pick<SpawnOptions, "cwd" | "env">): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (status) => resolve({ status: status, stdout: stdout, stderr: stderr }));
  });
}
