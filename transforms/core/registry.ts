import { requireForSerialization } from "apache-beam/serialization";
import * as timestamp from "../../schemas/timestamp";

export const PACKAGE_NAME = "beam-video-analytics";

/**
 * Registers a module's exports with Beam's closure serializer, so a DoFn that
 * calls them carries a reference, not a re-evaluated copy: no per-call thunk,
 * no eval per run, none of the serializer's traps in helper code. On a remote
 * worker the SDK requires `beam-video-analytics/<path>`, which package.json's
 * `exports` map to `dist/<path>.js`.
 */
export function registerModule(path: string, moduleExports: Record<string, unknown>): void {
  requireForSerialization(`${PACKAGE_NAME}/${path}`, moduleExports);
}

// DoFns parse and format event times with the codec of schemas/, which sits below this layer and cannot register itself.
registerModule("schemas/timestamp", timestamp);
