#!/usr/bin/env node
// `npm run bench:shadow`: what shadow evaluation costs the served requests. person-mobilenetv2 (1×3×128×128 float32)
// serves through the agent's in-process path (InferenceServer.infer → ModelSession, 1 ORT thread); a second session of
// the same model is the shadow candidate (1 ORT thread, at most one candidate run at a time, as the agent defaults),
// either in a child process (IsolatedSession, what `edgefleet-agent run` does) or in the agent's own process (inline,
// what `simulate` does with its shared sessions). onnxruntime-node runs inferences on the JS thread, so an inline
// candidate holds up the served requests that arrive while it runs.
// Two loads: a closed loop (one client, next request as soon as the last answered: the harshest case, a candidate
// run overlaps nearly every request) and an open loop at a fixed rate. Configurations are interleaved over rounds so
// drift hits all alike. Reports served p50/p99 per sampleRate (0 = no shadow) and the shadow's own counters.
import os from 'node:os';
import path from 'node:path';
import { fixtures } from './bench-harness.mjs';

const MODEL = path.join(fixtures, 'models/person-mobilenetv2/model.onnx');
const DIMS = [1, 3, 128, 128];
const INPUT = 'input_1:0';
const COUNT = DIMS.reduce((a, b) => a * b, 1);
const CONFIGS = [
  { rate: 0, where: 'none' },
  { rate: 0.25, where: 'process' },
  { rate: 1, where: 'process' },
  { rate: 0.25, where: 'inline' },
  { rate: 1, where: 'inline' },
];
const key = (c) => `${c.where}@${c.rate}`;
const ROUNDS = 3;
const PER_ROUND = 200;
const OPEN_RPS = 100;
const V = { base: '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', cand: '8f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e' };

const { InferenceServer, IsolatedSession, ModelSession, ShadowEvaluator } = await import('@edgefleet/agent');
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const data = Float32Array.from({ length: COUNT }, (_, i) => ((i * 2654435761) % 1000) / 1000);
const feeds = { [INPUT]: { dims: DIMS, data } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let shadow = null;
const server = new InferenceServer({ onServed: (m, f, out) => shadow?.offer(m.versionId, f, out) });
await server.swap(await ModelSession.create(MODEL, { threads: 1 }), { sha256: 'a'.repeat(64), versionId: V.base, variantId: V.cand });
const inline = await ModelSession.create(MODEL, { threads: 1 });
const isolated = await IsolatedSession.create(MODEL, { threads: 1 });
// one child for every round: the evaluator's dispose() must not end it
const keepAlive = (s) => ({ inputs: s.inputs, outputs: s.outputs, run: (f) => s.run(f), dispose: async () => {} });
for (let i = 0; i < 30; i++) {
  await server.infer(feeds);
  await inline.run(feeds);
  await isolated.run(feeds);
}

const results = { closed: new Map(CONFIGS.map((c) => [key(c), []])), open: new Map(CONFIGS.map((c) => [key(c), []])) };
const counters = new Map(CONFIGS.map((c) => [key(c), { samples: 0, skippedBusy: 0, candidateMs: [] }]));

async function round(config, mode) {
  const { rate, where } = config;
  const session = where === 'process' ? keepAlive(isolated) : keepAlive(inline);
  shadow = rate > 0 ? new ShadowEvaluator({ session, candidate: { rolloutId: V.cand, versionId: V.cand, variantId: V.cand, sha256: 'b'.repeat(64) }, sampleRate: rate }) : null;
  const lat = results[mode].get(key(config));
  if (mode === 'closed') {
    for (let i = 0; i < PER_ROUND; i++) {
      const t = performance.now();
      await server.infer(feeds);
      lat.push(performance.now() - t);
    }
  } else {
    const pending = [];
    const start = performance.now();
    for (let i = 0; i < PER_ROUND; i++) {
      const due = start + (i * 1000) / OPEN_RPS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const t = performance.now();
      pending.push(server.infer(feeds).then(() => lat.push(performance.now() - t)));
    }
    await Promise.all(pending);
  }
  if (shadow) {
    await shadow.idle();
    const s = shadow.stats();
    const c = counters.get(key(config));
    c.samples += s.samples;
    c.skippedBusy += s.skippedBusy;
    if (s.meanLatencyMs !== null) c.candidateMs.push(s.meanLatencyMs);
    await shadow.dispose();
    shadow = null;
  }
}

for (let r = 0; r < ROUNDS; r++) for (const mode of ['closed', 'open']) for (const config of r % 2 === 0 ? CONFIGS : [...CONFIGS].reverse()) await round(config, mode);
await server.close();
await inline.dispose();
await isolated.dispose();

console.log(`\nshadow evaluation overhead on served latency — person-mobilenetv2 batch 1, in-process agent path, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
console.log(`${ROUNDS} interleaved rounds × ${PER_ROUND} requests per configuration; shadow: same model, 1 ORT thread, maxConcurrent 1\n`);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const mode of ['closed', 'open']) {
  const base = results[mode].get(key(CONFIGS[0]));
  const label = mode === 'closed' ? 'closed loop, 1 client' : `open loop, ${OPEN_RPS} req/s`;
  for (const config of CONFIGS) {
    const { rate, where } = config;
    const lat = results[mode].get(key(config));
    const p50 = pct(lat, 0.5);
    const p99 = pct(lat, 0.99);
    const d50 = ((p50 / pct(base, 0.5) - 1) * 100).toFixed(1);
    const d99 = ((p99 / pct(base, 0.99) - 1) * 100).toFixed(1);
    const c = counters.get(key(config));
    const dm = ((mean(lat) / mean(base) - 1) * 100).toFixed(1);
    const extra = rate === 0 ? 'no shadow' : `vs none: p50 ${d50 >= 0 ? '+' : ''}${d50} %, p99 ${d99 >= 0 ? '+' : ''}${d99} %, mean ${dm >= 0 ? '+' : ''}${dm} %`;
    console.log(`${label.padEnd(24)} ${where.padEnd(8)} sampleRate ${String(rate).padEnd(5)} served p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  mean ${mean(lat).toFixed(2)} ms  (${extra})`);
    if (rate > 0 && mode === 'open') {
      const cand = c.candidateMs.length ? (c.candidateMs.reduce((a, b) => a + b, 0) / c.candidateMs.length).toFixed(2) : '–';
      console.log(`${''.padEnd(24)} shadow over both loads: ${c.samples} samples, ${c.skippedBusy} skipped (busy), candidate mean ${cand} ms`);
    }
  }
}
