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

# A working login for a newcomer: the first admin is created from ADMIN_EMAIL / ADMIN_PASSWORD when no user exists
# yet. Unless you set them, a demo admin is used, its password generated once and kept in DATA_DIR (mode 0600).
data_dir="${DATA_DIR:-./data}"
if [[ -z "${ADMIN_EMAIL:-}" || -z "${ADMIN_PASSWORD:-}" ]]; then
  mkdir -p "$data_dir"
  pw_file="$data_dir/demo-admin-password"
  if [[ ! -s "$pw_file" ]]; then
    (umask 077 && node -e "process.stdout.write(require('node:crypto').randomBytes(18).toString('base64url'))" >"$pw_file")
  fi
  export ADMIN_EMAIL="admin@edgefleet.local"
  export ADMIN_PASSWORD="$(cat "$pw_file")"
  demo_login=1
fi

node apps/worker/dist/main.worker.js &
worker=$!
demo=""
# A demo fleet for a newcomer (DEMO_FLEET=0 to skip): a compressed model and simulated devices running it.
if [[ "${DEMO_FLEET:-${demo_login:+1}}" == "1" ]]; then
  node scripts/demo-fleet.mjs "http://127.0.0.1:${PORT:-3000}" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" &
  demo=$!
fi
trap 'kill $worker $demo 2>/dev/null || true' EXIT INT TERM
echo "up: dashboard and API on http://localhost:${PORT:-3000} (API docs at /api/docs, queues at /admin/queues)"
if [[ -n "${demo_login:-}" ]]; then
  echo "up: log in as $ADMIN_EMAIL with password $ADMIN_PASSWORD (created on the first start; kept in $pw_file)"
  echo "up: for curl, create an API key in the dashboard (API keys) or: POST /api/api-keys with the session cookie"
fi
node apps/api/dist/main.api.js
