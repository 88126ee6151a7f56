import { PubSub } from "@google-cloud/pubsub";
import { EMULATOR_REQUIREMENT, emulatorAvailable, RunningEmulator, startEmulator } from "../../io/pubsub/emulator";

/** A suite's running emulator, the environment its child processes get, and this process's client of it. */
export interface EmulatorSuite {
  emulator: RunningEmulator;
  env: NodeJS.ProcessEnv;
  pubsub: PubSub;
}

/**
 * Starts the real Pub/Sub emulator for a suite, or skips the suite with the
 * reason when it cannot run here; points this process's clients at it too.
 */
export async function emulatorSuite(context: Mocha.Context, project: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<EmulatorSuite> {
  if (!emulatorAvailable()) {
    console.log(`    skipped: the Pub/Sub emulator needs ${EMULATOR_REQUIREMENT}`);
    context.skip();
  }
  const emulator = await startEmulator(project);
  const env = { ...process.env, ...extraEnv, PUBSUB_EMULATOR_HOST: emulator.host, METADATA_SERVER_DETECTION: "none" };
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  process.env.METADATA_SERVER_DETECTION = "none";
  return { emulator, env, pubsub: new PubSub({ projectId: project }) };
}

/**
 * The hooks of a suite that needs the emulator: started before its tests (or
 * the suite skipped with the reason), stopped after them. The fields are set
 * once the suite's `before` has run; hooks registered later run after it.
 */
export function useEmulator(project: string, extraEnv: NodeJS.ProcessEnv = {}): EmulatorSuite {
  const suite = {} as EmulatorSuite;
  before(async function () {
    Object.assign(suite, await emulatorSuite(this, project, extraEnv));
  });
  after(async () => {
    await suite.pubsub?.close();
    delete process.env.PUBSUB_EMULATOR_HOST;
    await suite.emulator?.stop();
  });
  return suite;
}
