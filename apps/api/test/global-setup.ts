import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { databaseUrl, testDatabaseAgeSeconds, testDatabaseName, withAdmin } from './test-db.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const STALE_AFTER_SECONDS = 3 * 60 * 60;

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/** Migrates a template database once per run with the committed migrations; each test file clones it. */
export default async function setup(project: TestProject) {
  const template = testDatabaseName();
  await withAdmin(async (c) => {
    // Leftovers of crashed runs pile up otherwise; a concurrent run's databases are younger than this.
    const { rows } = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'edgefleet_test_%'");
    for (const { datname } of rows) {
      const age = testDatabaseAgeSeconds(datname);
      if (age === null || age > STALE_AFTER_SECONDS) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await c.query(`CREATE DATABASE "${template}"`);
  });
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts/prisma.mjs'), 'migrate', 'deploy'], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl(template) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  project.provide('templateDatabase', template);
  return async () => {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`));
  };
}
