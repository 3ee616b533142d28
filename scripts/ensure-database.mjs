#!/usr/bin/env node
// Creates the database named in DATABASE_URL when it does not exist yet (Postgres has no CREATE DATABASE IF NOT EXISTS).
import pg from 'pg';

const url = new URL(process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/edgefleet');
const name = decodeURIComponent(url.pathname.slice(1));
if (!/^[A-Za-z0-9_-]+$/.test(name)) {
  console.error(`ensure-database: refusing unusual database name "${name}"`);
  process.exit(2);
}
const admin = new URL(url);
admin.pathname = '/postgres';
const client = new pg.Client({ connectionString: admin.toString() });
try {
  await client.connect();
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount === 0) {
    await client.query(`CREATE DATABASE "${name}"`);
    console.log(`ensure-database: created ${name}`);
  }
} catch (err) {
  console.error(`ensure-database: cannot reach Postgres at ${admin.host}: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.end().catch(() => {});
}
