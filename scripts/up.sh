#!/usr/bin/env bash
# Quick start: install, create the database if missing, apply migrations, build, and run the platform:
# the API (serving the dashboard) on :3000 and one compression worker.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgresql://root@127.0.0.1:5432/edgefleet}"
export TURBO_TELEMETRY_DISABLED=1

npm ci --no-audit --no-fund
bash scripts/services.sh || echo "up: continuing; the API's /api/health will say what is unreachable"
node scripts/ensure-database.mjs
node scripts/prisma.mjs generate >/dev/null
node scripts/prisma.mjs migrate deploy
npx turbo run build --output-logs=errors-only

node apps/worker/dist/main.worker.js &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
echo "up: dashboard and API on http://localhost:${PORT:-3000} (API docs at /api/docs, queues at /admin/queues)"
node apps/api/dist/main.api.js
