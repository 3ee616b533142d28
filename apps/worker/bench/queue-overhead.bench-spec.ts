import { EVENTS_CHANNEL, type PlatformEvent } from '@edgefleet/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REDIS_URL, WorkerHarness } from '../test/harness.js';

/**
 * What the queue adds around compression: enqueue -> job.started (pickup), job.started -> job.completed
 * (download, compress, store, sign), job.completed -> run.finished (flow parent + finalize), for sequential
 * single-profile runs of lenet with the cheapest recipe. BENCH_RUNS (default 20) runs.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const RECIPE = [{ id: 'fp32', precision: 'fp32' as const, steps: [{ name: 'optimize' as const, level: 'basic' as const }] }];

let h: WorkerHarness;
beforeAll(async () => {
  h = await WorkerHarness.create();
});
afterAll(async () => {
  await h?.close();
});

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, min ${s[0]!.toFixed(1)} ms`;
};

it(`queue overhead over ${RUNS} sequential lenet runs`, async () => {
  const profiles = await h.seedProfiles();
  const prefix = h.newPrefix();
  await h.startWorker(prefix, { EVAL_MAX_SAMPLES: '8' });
  const { version } = await h.seedModel();
  const sub = new Redis(REDIS_URL);
  const seen = new Map<string, number>();
  sub.on('message', (_c, raw: string) => {
    const message = JSON.parse(raw) as PlatformEvent;
    if (message.channel === 'rollout.changed') return;
    const { event } = message;
    const key = `${event.runId}:${event.type}`;
    if (!seen.has(key)) seen.set(key, performance.now());
  });
  await sub.subscribe(EVENTS_CHANNEL);
  const pickup: number[] = [];
  const work: number[] = [];
  const settle: number[] = [];
  const total: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const run = await h.createRun(version.id, [profiles.get('gpu-fp16')!], RECIPE);
      const t0 = performance.now();
      await h.enqueue(prefix, run.id, [run.jobs[0]!.id]);
      await h.waitForRun(run.id, ['succeeded'], 30_000);
      const at = (type: string) => seen.get(`${run.id}:${type}`)!;
      while (!seen.has(`${run.id}:run.finished`)) await new Promise((r) => setTimeout(r, 5));
      pickup.push(at('job.started') - t0);
      work.push(at('job.completed') - at('job.started'));
      settle.push(at('run.finished') - at('job.completed'));
      total.push(at('run.finished') - t0);
    }
  } finally {
    await sub.quit();
  }
  console.log(
    [
      `queue-overhead (${RUNS} runs, lenet, 1 profile x fp32, EVAL_MAX_SAMPLES=8):`,
      `  enqueue -> job.started     ${stats(pickup)}`,
      `  job.started -> completed   ${stats(work)}`,
      `  job.completed -> run done  ${stats(settle)}`,
      `  enqueue -> run done        ${stats(total)}`,
    ].join('\n'),
  );
  expect(total).toHaveLength(RUNS);
});
