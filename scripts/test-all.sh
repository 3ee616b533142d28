#!/usr/bin/env bash
# Installs everything from the lockfile and runs every test suite against the machine's real Postgres and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgresql://root@127.0.0.1:5432/edgefleet}"
export TURBO_TELEMETRY_DISABLED=1

npm ci --no-audit --no-fund
bash scripts/services.sh
node scripts/prisma.mjs generate >/dev/null
npx turbo run build --output-logs=errors-only
npx turbo run test --concurrency=1
