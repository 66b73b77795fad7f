# sglang-otel-bridge: a small image that runs the bridge with a mounted config.
#   docker build -t sglang-otel-bridge .
#   docker run -v $PWD/my-config.json:/etc/sglang-otel-bridge/config.json:ro -p 9464:9464 sglang-otel-bridge
# In a container the prometheus exporter must listen on "0.0.0.0" to be reachable:
# set "host": "0.0.0.0" in the mounted config (config/default.json reads BRIDGE_PROMETHEUS_HOST).

FROM node:20-bookworm-slim AS build
WORKDIR /app
# A C compiler for native/mapped_file.c (the multiprocess receiver's memory maps).
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY native ./native
RUN npm run build && bash native/build.sh --required && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/build ./native/build
COPY package.json ./
COPY config ./config
COPY plugins ./plugins
COPY config/default.json /etc/sglang-otel-bridge/config.json
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=3s CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["run", "--config", "/etc/sglang-otel-bridge/config.json"]
