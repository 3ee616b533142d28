#!/usr/bin/env node
// `npm run bench:agent`: the edge agent's local serving targets on person-mobilenetv2 (1×3×128×128 float32), batch 1:
//   a. inference through the agent's in-process path (InferenceServer.infer → ModelSession) vs onnxruntime-node
//      directly, medians over interleaved runs (target ≤ 5 % slower);
//   b. the local HTTP API on top (binary bodies): p50/p99 at 1 and 50 concurrent clients;
//   c. hot swaps during ~200 req/s for 10 s: failed requests (target 0);
//   d. RSS of a serving agent process with the model loaded;
//   e. RSS over 50 hot swaps.
//   f. `edgefleet-agent simulate --count 1000` against the built API (a separate process, a fresh database like
//      bench:pipeline; variants inserted and signed here as the worker would): time for all to run a newly assigned
//      version (target < 30 s), API p99 meanwhile.
// The served side runs as a separate node process (this file with --child) so its RSS is its own.
import { fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { benchPlatform, fixtures, insertSignedVariant, jsonClient, uploadVersion, waitFor } from './bench-harness.mjs';

const MODEL = path.join(fixtures, 'models/person-mobilenetv2/model.onnx');
const DIMS = [1, 3, 128, 128];
const INPUT = 'input_1:0';
const COUNT = DIMS.reduce((a, b) => a * b, 1);
const served = (n) => ({ sha256: (n % 16).toString(16).repeat(64), versionId: '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', variantId: '8f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e' });
const input = () => Float32Array.from({ length: COUNT }, (_, i) => ((i * 2654435761) % 1000) / 1000);
const MiB = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

if (process.argv[2] === '--child') {
  // The agent's serving side: InferenceServer + ModelSession, driven over IPC.
  const { InferenceServer, ModelSession } = await import('@edgefleet/agent');
  const rss = () => {
    globalThis.gc?.();
    return process.memoryUsage().rss;
  };
  const baseline = rss();
  const server = new InferenceServer({ port: 0 });
  const port = await server.listen();
  let n = 0;
  const swap = async () => server.swap(await ModelSession.create(MODEL, { threads: 1 }), served(n++));
  await swap();
  process.send({ port, baseline, loaded: rss() });
  process.on('message', async (m) => {
    if (m === 'swap') {
      await swap();
      process.send({ rss: rss(), disposed: server.disposedSessions });
    } else if (m === 'stop') {
      await server.close();
      process.exit(0);
    }
  });
} else {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
  const rows = [];

  // a. in-process agent path vs onnxruntime-node directly
  const ort = await import('onnxruntime-node');
  const { InferenceServer, ModelSession } = await import('@edgefleet/agent');
  const data = input();
  const raw = await ort.InferenceSession.create(MODEL, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const inproc = new InferenceServer();
  await inproc.swap(await ModelSession.create(MODEL, { threads: 1 }), served(0));
  const viaAgent = () => inproc.infer({ [INPUT]: { dims: DIMS, data } });
  const direct = () => raw.run({ [INPUT]: new ort.Tensor('float32', data, DIMS) });
  for (let i = 0; i < 30; i++) await Promise.all([viaAgent(), direct()]);
  const N = 300;
  const tAgent = [];
  const tDirect = [];
  for (let i = 0; i < N; i++) {
    const order = i % 2 === 0 ? [viaAgent, direct] : [direct, viaAgent];
    for (const fn of order) {
      const t = performance.now();
      await fn();
      (fn === viaAgent ? tAgent : tDirect).push(performance.now() - t);
    }
  }
  await inproc.close();
  await raw.release();
  const overhead = (median(tAgent) / median(tDirect) - 1) * 100;
  rows.push([`a. in-process agent infer vs ORT direct, median of ${N} interleaved, ≤ 5 % slower`, `agent ${median(tAgent).toFixed(3)} ms, ORT ${median(tDirect).toFixed(3)} ms (${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)} %)`, overhead <= 5 ? 'PASS' : 'MISS']);

  // the serving process
  const child = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reply = () => new Promise((r) => child.once('message', r));
  try {
    const ready = await reply();
    const base = `http://127.0.0.1:${ready.port}/v1/infer`;
    const body = Buffer.from(data.buffer);
    const infer = async () => {
      const t = performance.now();
      try {
        const res = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'x-dims': DIMS.join(',') }, body });
        await res.arrayBuffer();
        return { ok: res.status === 200, ms: performance.now() - t };
      } catch {
        return { ok: false, ms: performance.now() - t };
      }
    };

    // b. HTTP on top, binary bodies
    for (let i = 0; i < 30; i++) await infer();
    const seq = [];
    for (let i = 0; i < N; i++) seq.push((await infer()).ms);
    const conc = [];
    let left = 1000;
    let failed = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (left-- > 0) {
          const r = await infer();
          if (!r.ok) failed++;
          conc.push(r.ms);
        }
      }),
    );
    rows.push([`b. HTTP /v1/infer binary, 1 client, ${N} requests`, `p50 ${pct(seq, 0.5).toFixed(2)} ms, p99 ${pct(seq, 0.99).toFixed(2)} ms (+${(pct(seq, 0.5) - median(tAgent)).toFixed(2)} ms over in-process p50)`, 'info']);
    rows.push(['b. HTTP /v1/infer binary, 50 concurrent clients, 1000 requests', `p50 ${pct(conc, 0.5).toFixed(2)} ms, p99 ${pct(conc, 0.99).toFixed(2)} ms, ${failed} failed`, failed === 0 ? 'info' : 'MISS']);

    // c. hot swap every second during ~200 req/s for 10 s
    const results = [];
    const started = performance.now();
    let swaps = 0;
    const swapping = (async () => {
      while (performance.now() - started < 9_500) {
        await new Promise((r) => setTimeout(r, 1000));
        child.send('swap');
        await reply();
        swaps++;
      }
    })();
    const inflight = [];
    for (let i = 0; i < 2000; i++) {
      const due = started + i * 5;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(infer().then((r) => results.push(r)));
    }
    await Promise.all(inflight);
    await swapping;
    const secs = (performance.now() - started) / 1000;
    const bad = results.filter((r) => !r.ok).length;
    rows.push([`c. hot swap during ~200 req/s for 10 s, 0 failed`, `${results.length} requests in ${secs.toFixed(1)} s (${(results.length / secs).toFixed(0)} req/s), ${swaps} swaps, ${bad} failed, p99 ${pct(results.map((r) => r.ms), 0.99).toFixed(2)} ms`, bad === 0 ? 'PASS' : 'MISS']);

    // d. RSS with the model loaded
    rows.push(['d. agent serving process RSS, person-mobilenetv2 loaded', `${MiB(ready.loaded)} (${MiB(ready.baseline)} before loading, +${MiB(ready.loaded - ready.baseline)})`, 'info']);

    // e. RSS over 50 hot swaps
    const rss = [];
    let disposed = 0;
    for (let i = 0; i < 50; i++) {
      child.send('swap');
      const m = await reply();
      rss.push(m.rss);
      disposed = m.disposed;
    }
    const growth = rss.at(-1) - rss[0];
    rows.push(['e. RSS over 50 hot swaps (after swap 1 → after swap 50)', `${MiB(rss[0])} → ${MiB(rss.at(-1))} (${growth >= 0 ? '+' : ''}${MiB(growth)}, max ${MiB(Math.max(...rss))}), ${disposed} sessions disposed`, growth < 20 * 1024 * 1024 ? 'PASS' : 'GROWS']);
  } finally {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
  }
  if (process.env.BENCH_SKIP_FLEET !== '1') rows.push(...(await fleet(Number(process.env.BENCH_AGENTS ?? 1000), pct)));
  const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2]}`);
}

/** f. N simulated agents against one API: enroll, then time a group assignment until every device runs it. */
async function fleet(count, pct) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const platform = await benchPlatform('agent');
  const { dataDir, port, base } = platform;
  const dbUrl = platform.dbUrl;
  const json = jsonClient(base);
  try {
    const api = platform.start('apps/api/dist/main.api.js', { env: { AUTO_PIPELINES: 'false', ARTIFACT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }) } });
    // CPU seconds (user + system) the API process has used so far, from /proc (Linux).
    const apiCpuS = () => {
      const f = fs.readFileSync(`/proc/${api.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    };
    await waitFor(async () => (await fetch(`${base}/health`)).ok, 30_000, 'the API');
    const model = await json('POST', '/models', { name: 'lenet', task: 'image-classification' });
    const upload = (file) => uploadVersion(base, model.id, file);
    const v1 = await upload(path.join(fixtures, 'models/mnist-lenet5/model.onnx'));
    const v2 = await upload(path.join(fixtures, 'models/mnist-lenet5-bn/model.onnx'));
    const { token } = await json('POST', '/enrollment-tokens', { name: 'bench', group: 'bench' });
    const variantFor = (v, profileSlug) => insertSignedVariant(dbUrl, { model, version: v, profileSlug, privateKey });

    const stateDir = path.join(dataDir, 'agents');
    const t0 = performance.now();
    const sim = platform.start('packages/agent/dist/cli/main.js', {
      args: ['simulate', '--count', String(count), '--server', `http://127.0.0.1:${port}`, '--token', token, '--state', stateDir, '--heartbeat-ms', '30000', '--flush-ms', '60000'],
      pipeStdout: true,
    });
    let out = '';
    sim.stdout.on('data', (c) => (out = (out + c.toString()).slice(-100_000)));
    await waitFor(async () => out.includes('"msg":"simulating"'), 300_000, 'the simulated agents');
    const startS = (performance.now() - t0) / 1000;
    const profile = (await json('GET', '/devices?group=bench&limit=1')).items[0].profile.slug;
    await variantFor(v1, profile);
    await variantFor(v2, profile);
    // Counted in the database, not through the API, so that watching does not load what is measured.
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    const runningOn = async (v) => Number((await db.query(`SELECT count(*) FROM devices WHERE "group" = 'bench' AND running->>'versionId' = $1`, [v.id])).rows[0].count);
    const rollout = async (v) => {
      const probes = [];
      let probing = true;
      const probe = (async () => {
        while (probing) {
          const t = performance.now();
          await fetch(`${base}/devices?group=bench&limit=1`).then((r) => r.arrayBuffer());
          probes.push(performance.now() - t);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const t = performance.now();
      const cpu0 = apiCpuS();
      await json('POST', '/assignments', { modelId: model.id, version: v.number, target: { group: 'bench' } });
      await waitFor(async () => (await runningOn(v)) === count, 120_000, `all ${count} on v${v.number}`, 250);
      const s = (performance.now() - t) / 1000;
      const cpu = apiCpuS() - cpu0;
      probing = false;
      await probe;
      return { s, p50: pct(probes, 0.5), p99: pct(probes, 0.99), cpu };
    };
    const first = await rollout(v1);
    const second = await rollout(v2);
    await db.end();
    const cpuOf = (r) => `API CPU ${r.cpu.toFixed(1)} s (${((r.cpu / r.s) * 100).toFixed(0)} % of one core)`;
    return [
      [`f. simulate --count ${count}: enroll + start`, `${startS.toFixed(1)} s`, 'info'],
      [`f. ${count} agents: first version → all running, < 30 s`, `${first.s.toFixed(1)} s, API p50 ${first.p50.toFixed(1)} ms, p99 ${first.p99.toFixed(1)} ms, ${cpuOf(first)}`, first.s < 30 ? 'PASS' : 'MISS'],
      [`f. ${count} agents: newly assigned version → all running, < 30 s`, `${second.s.toFixed(1)} s, API p50 ${second.p50.toFixed(1)} ms, p99 ${second.p99.toFixed(1)} ms, ${cpuOf(second)}`, second.s < 30 ? 'PASS' : 'MISS'],
    ];
  } catch (err) {
    return [[`f. ${count} simulated agents`, `failed: ${err.message}`, 'MISS']];
  } finally {
    await platform.close();
  }
}
