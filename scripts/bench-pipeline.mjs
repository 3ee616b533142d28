#!/usr/bin/env node
// `npm run bench:pipeline`: the pipeline targets of the compression queue, measured end to end with the
// built API and worker as separate processes on this machine's Postgres and Redis:
//   1. upload of the mnist-lenet5 fixture → every built-in profile's variants stored (one worker);
//   2. queue overhead (enqueue → start) at 100 queued jobs.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { benchPlatform, fixtures, waitFor } from './bench-harness.mjs';

const platform = await benchPlatform('pipeline');
const { redisUrl, prefix } = platform;

async function uploadToVariants() {
  platform.start('apps/api/dist/main.api.js');
  platform.start('apps/worker/dist/main.worker.js');
  const { base } = platform;
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
  await platform.close();
}
