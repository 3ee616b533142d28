// Shared by the benchmark scripts: a throwaway database and data directory, the built apps started as
// processes against them, and cleanup. Only loopback services of this machine are used.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const fixtures = process.env.EDGEFLEET_FIXTURES ?? path.resolve(root, '../shared/fixtures');

export async function waitFor(fn, timeoutMs, what, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A migrated database of its own, a data directory, a port and a queue prefix; `close()` removes them all. */
export async function benchPlatform(label) {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const adminUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/edgefleet');
  const dbName = `edgefleet_bench_${randomBytes(4).toString('hex')}`;
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  adminUrl.pathname = '/postgres';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `edgefleet-bench-${label}-`));
  const prefix = `bench-${randomBytes(3).toString('hex')}`;
  const port = 3900 + Math.floor(Math.random() * 90);
  const children = [];

  const admin = async (sql) => {
    const c = new pg.Client({ connectionString: adminUrl.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE "${dbName}"`);
  const migrate = spawn(process.execPath, [path.join(root, 'scripts/prisma.mjs'), 'migrate', 'deploy'], { env: { ...process.env, DATABASE_URL: dbUrl.toString() }, stdio: 'ignore' });
  await new Promise((resolve, reject) => migrate.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`migrate exited ${code}`)))));

  return {
    redisUrl,
    dbUrl: dbUrl.toString(),
    dataDir,
    prefix,
    port,
    base: `http://127.0.0.1:${port}/api`,
    /** Starts `node <script> ...args` with the platform's environment; stdout is piped when asked for. */
    start(script, { args = [], env = {}, pipeStdout = false } = {}) {
      const child = spawn(process.execPath, [path.join(root, script), ...args], {
        env: { ...process.env, DATABASE_URL: dbUrl.toString(), REDIS_URL: redisUrl, DATA_DIR: dataDir, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', PORT: String(port), ...env },
        stdio: ['ignore', pipeStdout ? 'pipe' : 'ignore', 'inherit'],
      });
      child.on('exit', (code, signal) => code && console.error(`${script} exited with ${code ?? signal}`));
      children.push(child);
      return child;
    },
    async close() {
      for (const c of children.reverse()) c.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1000));
      await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
