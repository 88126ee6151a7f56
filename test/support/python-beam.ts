import { join } from "path";
import { ROOT } from "../helpers";

/** Beam's Python SDK in its cached virtual environment (runners/portable/python-beam.ts, shared with the benchmarks' peer rows). */
export { beamPython } from "../../runners/portable/python-beam";

/** Modules tests put on the Python path (test/support/python: sitecustomize pointing Cloud Storage at the double). */
export const TEST_PYTHON_PATH = join(ROOT, "test", "support", "python");
