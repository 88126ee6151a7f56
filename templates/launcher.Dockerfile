# The Flex Template launcher of one pipeline, built from the repository root:
#   docker build -f templates/launcher.Dockerfile --build-arg PIPELINE=alerts \
#     --build-arg WORKER_IMAGE=REPO/worker:TAG -t REPO/launcher-alerts:TAG .
# gcloud's launchers know Java, Python, Go and YAML only, so the TypeScript
# pipeline ships in Google's Python launcher image: the launcher runs
# templates/launcher.py, which execs node on dist/cli/flex-launch.js. What the
# SDK's Dataflow runner needs to submit is here: npm (the worker packages are
# packed at submission), Python's Dataflow job service from apache-beam[gcp]
# pinned to the SDK's version (the SDK would otherwise bootstrap the latest),
# and a JRE with Beam's GCP expansion service jar (Pub/Sub and BigQuery IO).
ARG BEAM_VERSION=2.49.0

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY cli cli
COPY pipelines pipelines
COPY transforms transforms
COPY io io
COPY runners runners
COPY schemas schemas
COPY samples samples
COPY publisher publisher
RUN npx ttsc -p . && npm prune --omit=dev

FROM node:20-bookworm-slim AS node

FROM gcr.io/dataflow-templates-base/python311-template-launcher-base
ARG BEAM_VERSION
ARG PIPELINE
# The worker image (root Dockerfile): required, Beam's default TypeScript image runs Node 16.
ARG WORKER_IMAGE
RUN test -n "${WORKER_IMAGE}" || (echo "--build-arg WORKER_IMAGE=REPO/worker:TAG is required" >&2; exit 1)
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir "apache-beam[gcp]==${BEAM_VERSION}"
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
ADD https://repo1.maven.org/maven2/org/apache/beam/beam-sdks-java-io-google-cloud-platform-expansion-service/${BEAM_VERSION}/beam-sdks-java-io-google-cloud-platform-expansion-service-${BEAM_VERSION}.jar /template/beam-gcp-expansion-service.jar
WORKDIR /template
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Our module over Beam's Python Dataflow job service (integer options, template launches), which runners/portable/submit.ts starts,
# and the catalog job's Python steps, handed to Python's expansion service as source (runners/portable/load-job.ts).
COPY --from=build /app/runners/portable/python ./runners/portable/python
COPY templates/launcher.py ./launcher.py
# python:* = this Python (with apache-beam[gcp]) for the SDK's Dataflow job service and Python's expansion service; the jar for Java's.
ENV FLEX_TEMPLATE_PYTHON_PY_FILE=/template/launcher.py \
    BEAM_VIDEO_PIPELINE=${PIPELINE} \
    BEAM_VIDEO_WORKER_IMAGE=${WORKER_IMAGE} \
    BEAM_SERVICE_OVERRIDES='{"python:*":"python3","sdks:java:io:google-cloud-platform:expansion-service:shadowJar":"/template/beam-gcp-expansion-service.jar"}'
