# The edgefleet image: builds every workspace; runs the API (default command) or the worker
# (`node apps/worker/dist/main.worker.js`, see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV DATABASE_URL=postgresql://build@localhost:5432/build TURBO_TELEMETRY_DISABLED=1
COPY package.json package-lock.json .npmrc turbo.json tsconfig.base.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY packages ./packages
COPY apps ./apps
RUN npm ci --no-audit --no-fund \
 && node scripts/prisma.mjs generate \
 && npx turbo run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data PORT=3000
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
VOLUME ["/data"]
CMD ["sh", "-c", "node scripts/ensure-database.mjs && node scripts/prisma.mjs migrate deploy && node apps/api/dist/main.api.js"]
