#!/usr/bin/env node
// `npm run bench:rollout`: rollouts across N simulated agents (`edgefleet-agent simulate --count N`, default 1,000,
// real agents in one process) against the built API and worker on a throwaway database:
//   a. a 3-wave canary (5 % → 25 % → 100 %) with zero bake time: time until the rollout completes and until
//      every device runs the new version;
//   b. a gate failure on a version the whole fleet runs: some devices report errors, the error-rate gate fails,
//      the controller rolls back; time from the gate failure (the rollback's start, server clock) until every
//      device runs the previous version again (target ≤ 30 s).
// Variants are inserted and signed here as the worker would (bench:pipeline covers the pipelines).
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { benchPlatform, fixtures, insertSignedVariant, jsonClient, uploadVersion, waitFor } from './bench-harness.mjs';

const COUNT = Number(process.env.BENCH_AGENTS ?? 1000);
const LENET = path.join(fixtures, 'models/mnist-lenet5/model.onnx');
const LENET_BN = path.join(fixtures, 'models/mnist-lenet5-bn/model.onnx');
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function main() {
  const { privateKey } = generateKeyPairSync('ed25519');
  const platform = await benchPlatform('rollout');
  const { base, port, dataDir, dbUrl } = platform;
  const json = jsonClient(base);
  const db = new pg.Client({ connectionString: dbUrl });
  const rows = [];
  try {
    const env = { AUTO_PIPELINES: 'false', ARTIFACT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }), ROLLOUT_TICK_MS: process.env.ROLLOUT_TICK_MS ?? '500' };
    platform.start('apps/api/dist/main.api.js', { env });
    platform.start('apps/worker/dist/main.worker.js', { env });
    await waitFor(async () => (await fetch(`${base}/health`)).ok, 30_000, 'the API');
    await db.connect();

    const model = await json('POST', '/models', { name: 'digits', task: 'image-classification' });
    const v1 = await uploadVersion(base, model.id, LENET);
    const v2 = await uploadVersion(base, model.id, LENET_BN);
    // The same bytes as v1 under a new number: devices still hold the file, as they would after a rollback.
    const v3 = await uploadVersion(base, model.id, LENET);
    const { token } = await json('POST', '/enrollment-tokens', { name: 'bench', group: 'bench' });

    const stateDir = path.join(dataDir, 'agents');
    const t0 = performance.now();
    const sim = platform.start('packages/agent/dist/cli/main.js', {
      args: ['simulate', '--count', String(COUNT), '--server', `http://127.0.0.1:${port}`, '--token', token, '--state', stateDir, '--heartbeat-ms', '30000', '--flush-ms', '60000', '--no-probation'],
      pipeStdout: true,
    });
    let out = '';
    sim.stdout.on('data', (c) => (out = (out + c.toString()).slice(-100_000)));
    await waitFor(async () => out.includes('"msg":"simulating"'), 600_000, 'the simulated agents', 500);
    rows.push([`simulate --count ${COUNT}: enroll + start`, s(performance.now() - t0), 'info']);

    const profileSlug = (await json('GET', '/devices?group=bench&limit=1')).items[0].profile.slug;
    for (const v of [v1, v2, v3]) await insertSignedVariant(dbUrl, { model, version: v, profileSlug, privateKey });
    const runningOn = async (v) => Number((await db.query(`SELECT count(*) FROM devices WHERE "group" = 'bench' AND running->>'versionId' = $1`, [v.id])).rows[0].count);
    const allOn = (v, what) => waitFor(async () => (await runningOn(v)) === COUNT, 300_000, what, 250);
    const settled = (id, statuses) => waitFor(async () => ((r) => statuses.includes(r.status) && r)(await json('GET', `/rollouts/${id}`)), 300_000, `rollout ${statuses.join('|')}`, 100);

    let t = performance.now();
    await json('POST', '/assignments', { modelId: model.id, version: v1.number, target: { group: 'bench' } });
    await allOn(v1, `all ${COUNT} on v1`);
    rows.push([`${COUNT} agents: first assignment → all running`, s(performance.now() - t), 'info']);

    // a. three waves, zero bake
    t = performance.now();
    const canary = await json('POST', '/rollouts', {
      modelId: model.id,
      version: v2.number,
      target: { group: 'bench' },
      strategy: { kind: 'canary', waves: [5, 25, 100], bakeTimeS: 0 },
      gates: { errorRate: null, latencyP95: null },
    });
    const done = await settled(canary.id, ['completed', 'rolled_back', 'paused']);
    const completedMs = performance.now() - t;
    if (done.status !== 'completed') throw new Error(`the canary ended ${done.status}: ${done.reason}`);
    await allOn(v2, `all ${COUNT} on v2`);
    rows.push([`a. 3-wave canary (5/25/100 %), zero bake: created → completed`, s(completedMs), 'info']);
    rows.push([`a. 3-wave canary, zero bake: created → all ${COUNT} running v2`, s(performance.now() - t), 'info']);

    // b. gate failure → rollback of the whole fleet
    const bad = await json('POST', '/rollouts', {
      modelId: model.id,
      version: v3.number,
      target: { group: 'bench' },
      strategy: { kind: 'all-at-once' },
      gates: { errorRate: { maxIncrease: 0.02, minRequests: 100 }, latencyP95: null },
    });
    await allOn(v3, `all ${COUNT} on v3`);
    // Ten devices report a 50 % error rate on v3, with their own credentials, as their agents would.
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    const dirs = fs.readdirSync(stateDir).slice(0, 10);
    for (const dir of dirs) {
      const id = JSON.parse(fs.readFileSync(path.join(stateDir, dir, 'identity.json'), 'utf8'));
      const res = await fetch(`${base}/device/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${id.deviceId}.${id.secret}` },
        body: JSON.stringify({ v: 1, buckets: [{ versionId: v3.id, bucketStart: minute, count: 40, errors: 20, histogram: [40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }] }),
      });
      if (!res.ok) throw new Error(`telemetry: ${res.status} ${await res.text()}`);
    }
    const reported = performance.now();
    const rolledBack = await settled(bad.id, ['rolled_back', 'rolling_back']);
    const detectedMs = performance.now() - reported;
    const start = (await db.query(`SELECT min(at) AS at FROM rollout_events WHERE rollout_id = $1 AND kind = 'rollback.started'`, [bad.id])).rows[0].at;
    await allOn(v2, `all ${COUNT} back on v2`);
    const backMs = Date.now() - new Date(start ?? Date.now()).getTime();
    rows.push([`b. error telemetry reported → gate failed, rollback started`, `${s(detectedMs)} (${rolledBack.reason})`, 'info']);
    rows.push([`b. gate failure → all ${COUNT} devices back on the previous version, ≤ 30 s`, s(backMs), backMs <= 30_000 ? 'PASS' : 'MISS']);
    // The tail, from the devices' own reports (their history's first `running.changed` back to v2).
    const { rows: [tail] } = await db.query(
      `SELECT percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY s) AS p, max(s) AS max
       FROM (SELECT extract(epoch FROM min(at) - $2::timestamptz) AS s FROM device_events
             WHERE kind = 'running.changed' AND version_id = $1 AND at >= $2 GROUP BY device_id) x`,
      [v2.id, start],
    );
    rows.push([`b. per device, rollback started → reported back: p50 / p90 / p99 / max`, [...tail.p, tail.max].map((x) => `${Number(x).toFixed(1)} s`).join(' / '), 'info']);
  } catch (err) {
    rows.push(['bench:rollout', `failed: ${err.message}`, 'MISS']);
  } finally {
    await db.end().catch(() => undefined);
    await platform.close();
  }
  const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2]}`);
  if (rows.some((r) => r[2] === 'MISS')) process.exitCode = 1;
}

await main();
