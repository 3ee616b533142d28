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
        // A throwaway database on loopback: the benches call the API without credentials (AUTH_REQUIRED=false
        // makes such requests the default organisation's admin); agents still use their device secrets. A simulated
        // fleet enrolls from one address, hence no enrollment rate limit.
        env: { ...process.env, DATABASE_URL: dbUrl.toString(), REDIS_URL: redisUrl, DATA_DIR: dataDir, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', PORT: String(port), AUTH_REQUIRED: 'false', RATE_LIMIT_ENROLL: '1000000', ...env },
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

/**
 * Gives version `v` of `model` a recommended variant for `profileSlug`, reusing the version's blob and signed with
 * `privateKey` (the platform's ARTIFACT_SIGNING_KEY), as the worker would; the benchmarks skip the pipelines.
 */
export async function insertSignedVariant(dbUrl, { model, version: v, profileSlug, privateKey }) {
  const { sign } = await import('node:crypto');
  const { canonicalJson } = await import('@edgefleet/contracts');
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    const {
      rows: [a],
    } = await db.query(
      `INSERT INTO artifacts (id, org_id, kind, format, storage_key, byte_size, sha256) SELECT gen_random_uuid(), org_id, 'variant', 'onnx', storage_key, byte_size, sha256 FROM artifacts WHERE id = (SELECT artifact_id FROM model_versions WHERE id = $1) RETURNING id, byte_size, sha256`,
      [v.id],
    );
    const {
      rows: [p],
    } = await db.query('SELECT id FROM hardware_profiles WHERE slug = $1', [profileSlug]);
    const manifest = { v: 1, model: { id: model.id, name: model.name }, version: { id: v.id, number: v.number }, profile: profileSlug, recipe: 'int8-dyn', artifact: { sha256: a.sha256, bytes: Number(a.byte_size), format: 'onnx' }, createdAt: new Date().toISOString() };
    await db.query(
      `INSERT INTO variants (id, version_id, profile_id, recipe_id, recipe, precision, artifact_id, evaluation, reports, verdict, verdict_reasons, judged_on, on_pareto_front, recommended, manifest, signature, updated_at)
       VALUES (gen_random_uuid(), $1, $2, 'int8-dyn', $3, 'int8', $4, $5, '[]', 'passed', '{}', 'synthetic-agreement', true, true, $6, $7, now())`,
      [v.id, p.id, JSON.stringify({ id: 'int8-dyn', precision: 'int8', steps: [{ name: 'int8-dynamic' }] }), a.id, JSON.stringify({ v: 1, sizeBytes: Number(a.byte_size) }), JSON.stringify(manifest), sign(null, Buffer.from(canonicalJson(manifest)), privateKey).toString('base64')],
    );
  } finally {
    await db.end();
  }
}

/** JSON over HTTP against `base`; throws with the body on a non-2xx. */
export function jsonClient(base) {
  return async (method, url, body) => {
    const res = await fetch(`${base}${url}`, { method, ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
}

/** Uploads an ONNX file as a new version of `modelId`. */
export async function uploadVersion(base, modelId, file) {
  const form = new FormData();
  form.set('file', new Blob([fs.readFileSync(file)]), path.basename(file));
  const res = await fetch(`${base}/models/${modelId}/versions`, { method: 'POST', body: form });
  if (!res.ok) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return res.json();
}
