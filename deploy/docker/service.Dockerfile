# One image recipe for every Fanout service: `docker build -f deploy/docker/service.Dockerfile
# --build-arg SERVICE=user-service .` (docker-compose.yml does this per service). Three stages:
# `build` compiles the services (`npm run build`, the same output `npm start` runs), `deps`
# installs the production dependencies only, and the final image holds node, those dependencies
# and one compiled service: no TypeScript, no tsx, no npm cache, no sources.
ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The whole workspace: the build bundles each service with the libs it imports.
COPY . .
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Every third-party dependency is declared in the root package.json (one version policy), so
# the root's production dependencies are all a compiled service imports. better-sqlite3 builds
# its native addon here (install scripts allowed by the root package.json's allowScripts).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --workspaces=false --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build arg SERVICE is required, e.g. --build-arg SERVICE=user-service" && false)
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist/${SERVICE} ./service
# /data is the one writable path (SQLite files; mount a volume there, or an emptyDir under a
# read-only root filesystem). Everything else is owned by root and only read by the service.
RUN test -f service/main.mjs || (echo "services/${SERVICE} was not built (dist/${SERVICE}/main.mjs)" && false) \
 && mkdir -p /data && chown 1000:1000 /data

ENV SERVICE=${SERVICE} \
    NODE_ENV=production \
    HOST=0.0.0.0 \
    DATA_DIR=/data
# uid 1000 is `node` in the official image, and the uid the Kubernetes manifests run as.
USER 1000:1000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=20 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The service is PID 1 and receives SIGTERM itself. Source maps make stack traces name the .ts files.
CMD ["node", "--enable-source-maps", "service/main.mjs"]
