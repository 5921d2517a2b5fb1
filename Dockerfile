# syntax=docker/dockerfile:1
# One image for all three apps (ingest, projector, dispatcher); docker-compose.yml picks
# the app with `command`. Build: docker build -t solar-hub .

# ---- build: full (dev) dependencies, compile TypeScript into dist/ ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first so the dependency layer is cached until the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run -s build

# ---- runtime: production dependencies + compiled output only ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
# apps + libs are what the services run; tools/ holds the operator CLI
# (e.g. `docker compose exec ingest node dist/tools/cli.js tenant:create "Acme"`).
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
COPY --from=build /app/dist/tools ./dist/tools
# Files stay root-owned (read-only for the app); the process runs unprivileged.
USER node
EXPOSE 3001 3002 3003
# Docker's health status: /health/ready (database, bus, every consumer lane, not shutting down).
# HEALTH_PORT is the port of the app the container runs (the default command's, ingest's);
# docker-compose.yml sets each service's own check. Node's fetch: the slim image has no curl.
ENV HEALTH_PORT=3001
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# Default app; compose overrides this per service.
CMD ["node", "dist/apps/ingest/src/main.js"]
