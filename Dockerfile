# The project as a container: the CLI on Node 20 with the built code and its
# production dependencies. `docker run IMAGE alerts --input /data/events.jsonl`
# The Dataflow SDK worker and Flex Template launcher images build on this
# layout (see templates/).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["--help"]
