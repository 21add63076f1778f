# One image recipe for every Fanout service: `docker build -f deploy/docker/service.Dockerfile
# --build-arg SERVICE=user-service .` (docker-compose.yml does this per service). Services run
# from TypeScript source through tsx, exactly as the local platform runs them.
FROM node:20.19-bookworm-slim

ARG SERVICE
RUN test -n "$SERVICE" || (echo "build arg SERVICE is required, e.g. --build-arg SERVICE=user-service" && false)

WORKDIR /app
# The whole workspace: services import the shared libs by workspace name.
COPY . .
RUN test -f "services/${SERVICE}/src/main.ts" || (echo "services/${SERVICE}/src/main.ts does not exist" && false) \
 && npm ci --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /data && chown node:node /data

ENV SERVICE=${SERVICE} \
    NODE_ENV=production \
    HOST=0.0.0.0 \
    DATA_DIR=/data
USER node
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=20 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# `exec` replaces the shell, so the service is PID 1 and receives SIGTERM itself.
CMD ["sh", "-c", "exec node --import tsx \"services/${SERVICE}/src/main.ts\""]
