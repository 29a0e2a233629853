# syntax=docker/dockerfile:1
# The meshgate gateway image, built only from this repository (npm is the only download).
#
#   docker build -t meshgate .
#   docker run --rm -v "$PWD/examples/config:/etc/meshgate:ro" -p 8080:8080 meshgate start -f /etc/meshgate
#
# docker-compose.yml builds it for gateway-east, gateway-west and the display sink.

# --- build: every workspace compiled to dist/ -------------------------------------------------
FROM node:20-slim AS build
WORKDIR /app
# Manifests first: the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/kafka/package.json packages/kafka/
COPY packages/rabbitmq/package.json packages/rabbitmq/
COPY packages/nats/package.json packages/nats/
COPY packages/pubsub/package.json packages/pubsub/
COPY packages/knative/package.json packages/knative/
COPY packages/gateway/package.json packages/gateway/
# No lifecycle scripts: nothing downloads browsers or binaries here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json turbo.json ./
COPY packages/ packages/
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: built packages and production dependencies only ----------------------------------
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "packages/gateway/bin/meshgate.js"]
CMD ["start", "-f", "/etc/meshgate"]
