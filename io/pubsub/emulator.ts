import { ChildProcess, spawn, spawnSync } from "child_process";
import { freePort, stopProcessGroup } from "../processes";

/** What to install when the emulator cannot start: named in skips and errors. */
export const EMULATOR_REQUIREMENT =
  "the Google Cloud CLI with the Pub/Sub emulator (Debian: apt install google-cloud-cli google-cloud-cli-pubsub-emulator) and Java 17+";

export function emulatorAvailable(): boolean {
  const gcloud = spawnSync("gcloud", ["--version"], { encoding: "utf8" });
  const java = spawnSync("java", ["-version"], { encoding: "utf8" });
  return gcloud.status === 0 && java.status === 0;
}

export interface RunningEmulator {
  /** `127.0.0.1:PORT`, the value of PUBSUB_EMULATOR_HOST. */
  readonly host: string;
  readonly project: string;
  /** Sends `signal` to the emulator's processes (tests freeze it with SIGSTOP and thaw it with SIGCONT). */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/**
 * Starts the real Pub/Sub emulator (`gcloud beta emulators pubsub start`) on a
 * free loopback port and resolves once it listens. It runs in its own process
 * group, so `stop` ends gcloud and the Java server it started.
 */
export async function startEmulator(project: string, timeoutMs = 60_000): Promise<RunningEmulator> {
  const port = await freePort();
  const child: ChildProcess = spawn("gcloud", ["beta", "emulators", "pubsub", "start", `--host-port=127.0.0.1:${port}`, `--project=${project}`], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Pub/Sub emulator did not start within ${timeoutMs} ms:\n${log.slice(-2000)}`)), timeoutMs);
    const onData = (data: Buffer) => {
      log += data.toString();
      if (log.includes(`Server started, listening on ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start the Pub/Sub emulator (${error.message}): install ${EMULATOR_REQUIREMENT}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Pub/Sub emulator exited with code ${code}:\n${log.slice(-2000)}`));
    });
  });
  return {
    host: `127.0.0.1:${port}`,
    project,
    signal: (signal) => process.kill(-child.pid!, signal),
    stop: () => stopProcessGroup(child, 5000),
  };
}
