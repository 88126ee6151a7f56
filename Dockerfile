# Two images of the project, both from one build stage:
#   docker build -t IMAGE .               the SDK worker image for the portable
#                                         runners (--sdkContainerImage IMAGE)
#   docker build --target cli -t IMAGE .  the CLI: docker run IMAGE alerts --input /data/events.jsonl
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS cli
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["--help"]

# Beam's TypeScript worker image is Node 16 and installs every staged package
# from the registry when a worker starts. This one is Node 20 (what the project
# and its DuckDB binding need) with the project's production node_modules
# already in /app, where Beam's boot program installs the staged packages
# (the project's tarball, apache-beam) and then runs `npx apache-beam-worker`.
FROM apache/beam_typescript_sdk:2.49.0 AS beam

FROM node:20-bookworm-slim AS worker
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=beam /opt/apache/beam /opt/apache/beam
ENTRYPOINT ["/opt/apache/beam/boot"]
