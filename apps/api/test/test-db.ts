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

export const TEMPLATE_DB = 'edgefleet_test_template';

/** A fresh database cloned from the migrated template; cheap (a file copy), isolated per test file. */
export async function createTestDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `edgefleet_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`));
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
