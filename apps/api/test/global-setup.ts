import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseUrl, TEMPLATE_DB, withAdmin } from './test-db.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Migrates a template database once per run with the committed migrations; each test file clones it. */
export default async function setup() {
  await withAdmin(async (c) => {
    // Leftovers of an interrupted run would make the clones fail or pile up.
    const { rows } = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'edgefleet_test_%'");
    for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  });
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts/prisma.mjs'), 'migrate', 'deploy'], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl(TEMPLATE_DB) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return async () => {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`));
  };
}
