"""Flex Template launcher shim.

Dataflow's Python template launcher runs this file (FLEX_TEMPLATE_PYTHON_PY_FILE)
with the launch environment and the template parameters as arguments. The
pipeline is TypeScript: hand everything to its launcher entry point, which
turns the arguments into the CLI's `--runner=dataflow` command line
(cli/flex-launch.ts). The pipeline comes from the image (build arg PIPELINE).
"""
import os
import sys

ENTRY_POINT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist", "cli", "flex-launch.js")


def command(argv, env):
    args = ["node", ENTRY_POINT, env["BEAM_VIDEO_PIPELINE"]]
    # The worker image baked into the launcher; a --sdk_container_image of the launch comes later and wins.
    if env.get("BEAM_VIDEO_WORKER_IMAGE"):
        args.append("--sdk_container_image=" + env["BEAM_VIDEO_WORKER_IMAGE"])
    return args + argv


if __name__ == "__main__":
    args = command(sys.argv[1:], os.environ)
    os.execvp(args[0], args)
