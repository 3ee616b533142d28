import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Admin connection to the machine's Postgres (the maintenance `postgres` database of TEST_DATABASE_URL). */
export function adminUrl(): URL {
  const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/postgres');
  url.pathname = '/postgres';
  return url;
}

export function databaseUrl(name: string): string {
  const url = adminUrl();
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl().toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Test databases are named `edgefleet_test_<unix seconds>_<random>`, so a run can tell its own from
 * another concurrent run's, and sweep only leftovers old enough to be from a crashed run.
 */
export function testDatabaseName(): string {
  return `edgefleet_test_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
}

export function testDatabaseAgeSeconds(name: string): number | null {
  const match = /^edgefleet_test_(\d+)_[0-9a-f]+$/.exec(name);
  return match ? Date.now() / 1000 - Number(match[1]) : null;
}

/** A fresh database cloned from the migrated template; cheap (a file copy), isolated per test file. */
export async function createTestDatabase(template: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = testDatabaseName();
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

const STALE_AFTER_SECONDS = 3 * 60 * 60;

/**
 * Creates and migrates (with the committed migrations, via scripts/prisma.mjs) a template database for
 * one test run, after sweeping leftovers of crashed runs. Call from a vitest globalSetup.
 */
export async function prepareTemplateDatabase(repoRoot: string): Promise<{ template: string; drop(): Promise<void> }> {
  const template = testDatabaseName();
  await withAdmin(async (c) => {
    // A concurrent run's databases are younger than this.
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
  return {
    template,
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`)).then(() => undefined),
  };
}
