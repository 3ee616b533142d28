#!/usr/bin/env node
// `npm run bench:pipeline`: the pipeline targets of the compression queue, measured end to end with the
// built API and worker as separate processes on this machine's Postgres and Redis:
//   1. upload of the mnist-lenet5 fixture → every built-in profile's variants stored (one worker);
//   2. queue overhead (enqueue → start) at 100 queued jobs.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = process.env.EDGEFLEET_FIXTURES ?? path.resolve(root, '../shared/fixtures');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adminUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/edgefleet');
const dbName = `edgefleet_bench_${randomBytes(4).toString('hex')}`;
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${dbName}`;
adminUrl.pathname = '/postgres';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgefleet-bench-'));
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

function start(name, script, extraEnv = {}) {
  const env = { ...process.env, DATABASE_URL: dbUrl.toString(), REDIS_URL: redisUrl, DATA_DIR: dataDir, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', PORT: String(port), ...extraEnv };
  const child = spawn(process.execPath, [path.join(root, script)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => code && console.error(`${name} exited with ${code ?? signal}`));
  children.push(child);
  return child;
}

async function waitFor(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function uploadToVariants() {
  await admin(`CREATE DATABASE "${dbName}"`);
  const migrate = spawn(process.execPath, [path.join(root, 'scripts/prisma.mjs'), 'migrate', 'deploy'], { env: { ...process.env, DATABASE_URL: dbUrl.toString() }, stdio: 'ignore' });
  await new Promise((resolve, reject) => migrate.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`migrate exited ${code}`)))));
  start('api', 'apps/api/dist/main.api.js');
  start('worker', 'apps/worker/dist/main.worker.js');
  const base = `http://127.0.0.1:${port}/api`;
  await waitFor(async () => (await fetch(`${base}/health`)).ok, 30_000, 'the API');
  const model = await (await fetch(`${base}/models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'lenet', task: 'image-classification' }) })).json();
  const profiles = (await (await fetch(`${base}/profiles`)).json()).items;

  const upload = async (file, fields = {}, kind = 'versions') => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    form.set('file', new Blob([fs.readFileSync(file)]), path.basename(file));
    const res = await fetch(`${base}/models/${model.id}/${kind}`, { method: 'POST', body: form });
    if (!res.ok) throw new Error(`upload ${kind}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const untilSettled = async (version) => {
    const run = await waitFor(async () => {
      const runs = (await (await fetch(`${base}/models/${model.id}/versions/${version.number}/pipelines`)).json()).items;
      return runs.find((r) => ['succeeded', 'partial', 'failed'].includes(r.status));
    }, 300_000, 'the pipeline');
    const listed = await (await fetch(`${base}/models/${model.id}/versions/${version.number}/variants`)).json();
    const variants = Array.isArray(listed) ? listed : (listed.items ?? []);
    return { run, variants };
  };
  const modelFile = path.join(fixtures, 'models/mnist-lenet5/model.onnx');

  // Without datasets: fidelity on generated inputs, int8 dynamic.
  let started = performance.now();
  const v1 = await upload(modelFile);
  const bare = await untilSettled(v1);
  const bareSeconds = (performance.now() - started) / 1000;

  // With the team's data: int8 static (calibrated, latency-aware auto), accuracy on 2,000 labelled images.
  await upload(path.join(fixtures, 'npz/mnist-calib-1k.npz'), { name: 'calib', purpose: 'calibration' }, 'datasets');
  await upload(path.join(fixtures, 'npz/mnist-eval-9k.npz'), { name: 'eval', purpose: 'evaluation' }, 'datasets');
  started = performance.now();
  const v2 = await upload(modelFile, { semver: '2.0.0' });
  const data = await untilSettled(v2);
  const dataSeconds = (performance.now() - started) / 1000;
  const summary = (r) => `run ${r.run.status}, ${r.variants.length} variants over ${new Set(r.variants.map((v) => v.profile.slug)).size}/${profiles.length} profiles, recommended: ${r.variants.filter((v) => v.recommended).map((v) => `${v.profile.slug}=${v.recipe.id}`).join(' ')}`;
  const covered = (r) => new Set(r.variants.map((v) => v.profile.slug)).size === profiles.length;
  return { bareSeconds, bare: summary(bare), bareOk: covered(bare), dataSeconds, data: summary(data), dataOk: covered(data) };
}

async function queueOverhead(jobs = 100) {
  const connection = { url: redisUrl, maxRetriesPerRequest: null };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

  const backlogName = `overhead-${randomBytes(3).toString('hex')}`;
  const backlog = new Queue(backlogName, { connection, prefix });
  await backlog.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'noop', data: { i } })));
  const starts = [];
  const drain = new Worker(backlogName, async () => void starts.push(performance.now()), { connection, prefix, concurrency: 1 });
  await waitFor(async () => starts.length >= jobs, 60_000, 'the backlog');
  await drain.close();
  const gaps = starts.slice(1).map((s, i) => s - starts[i]);
  await backlog.obliterate({ force: true });
  await backlog.close();

  const liveName = `overhead-${randomBytes(3).toString('hex')}`;
  const live = new Queue(liveName, { connection, prefix });
  const started = new Map();
  const worker = new Worker(liveName, async (job) => void started.set(job.data.i, performance.now()), { connection, prefix, concurrency: 1 });
  await worker.waitUntilReady();
  const waits = [];
  for (let i = 0; i < jobs; i++) {
    const t = performance.now();
    await live.add('noop', { i });
    await waitFor(async () => started.has(i), 10_000, `job ${i}`);
    waits.push(started.get(i) - t);
  }
  await worker.close();
  await live.obliterate({ force: true });
  await live.close();
  return { gapMedian: median(gaps), gapP95: p95(gaps), waitMedian: median(waits), waitP95: p95(waits) };
}

try {
  const e2e = await uploadToVariants();
  const overhead = await queueOverhead();
  const rows = [
    ['upload mnist-lenet5 → variants for all built-in profiles, no dataset, 1 worker, < 60 s', `${e2e.bareSeconds.toFixed(1)} s, ${e2e.bare}`, e2e.bareSeconds < 60 && e2e.bareOk ? 'PASS' : 'MISS'],
    ['the same with calibration + eval datasets (int8 static auto), < 60 s', `${e2e.dataSeconds.toFixed(1)} s, ${e2e.data}`, e2e.dataSeconds < 60 && e2e.dataOk ? 'PASS' : 'MISS'],
    ['queue overhead per job, 100 queued (start-to-start gap), median < 50 ms', `median ${overhead.gapMedian.toFixed(2)} ms, p95 ${overhead.gapP95.toFixed(2)} ms`, overhead.gapMedian < 50 ? 'PASS' : 'MISS'],
    ['enqueue → start with a waiting worker, 100 jobs, median < 50 ms', `median ${overhead.waitMedian.toFixed(2)} ms, p95 ${overhead.waitP95.toFixed(2)} ms`, overhead.waitMedian < 50 ? 'PASS' : 'MISS'],
  ];
  const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2]}`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
