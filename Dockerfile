# syntax=docker/dockerfile:1
# The stampede CLI (reference engine, load generator, schema tool) as an image:
#   docker build -t stampede .  &&  docker run --rm stampede --help
# docker-compose.yml builds it and runs it against Apache Cassandra.

# --- build: every dependency, then the package's `prepare` script compiles TypeScript to dist/ ----------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The sources tsconfig.build.json includes (.dockerignore leaves out tests, docs, results, node_modules, dist).
COPY . .
# `npm ci` runs the `prepare` script (tsc -p tsconfig.build.json) after installing; then drop the dev dependencies.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund \
    && test -f dist/cli/main.js \
    && npm prune --omit=dev --no-audit --no-fund

# --- runtime: the compiled build and production dependencies only ---------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# `stampede run` writes results/<time>-<scenario>/ under the working directory unless --out says otherwise.
RUN mkdir -p /app/results && chown node:node /app/results
USER node
# gRPC (WorkflowService) and Prometheus /metrics of `stampede engine --port 7233 --metrics-port 9464`.
EXPOSE 7233 9464
ENTRYPOINT ["node", "bin/stampede.js"]
CMD ["--help"]
