import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ShadowBatch } from '@edgefleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsolatedSession } from '../src/runtime/isolated-session.js';
import { ModelSession, type TensorData } from '../src/runtime/model-session.js';
import { InferenceServer } from '../src/server/inference-server.js';
import { compareOutputs, ShadowEvaluator } from '../src/shadow/shadow-evaluator.js';
import { type ShadowItem, ShadowReportBuffer, type ShadowSample } from '../src/shadow/shadow-report.js';
import { waitFor } from './fake-device-api.js';
import { LENET, mnistImages, perturbedLenet, prng, unaryChain } from './onnx-models.js';

const BASE = '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e';
const CAND = { rolloutId: '9f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', versionId: '8f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', variantId: 'af1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', sha256: 'c'.repeat(64) };
const t = (data: number[], dims = [1, data.length]): TensorData => ({ dims, data: Float32Array.from(data) });
const lenetFeeds = (img: Float32Array) => ({ input: { dims: [1, 1, 28, 28], data: img } });

describe('compareOutputs', () => {
  it('top-1 per row of every output, mean cosine, invalid on NaN or another size', () => {
    expect(compareOutputs({ y: t([1, 3, 2]) }, { y: t([1, 3, 2]) })).toEqual({ agree: true, cosine: 1, valid: true });
    const c = compareOutputs({ y: t([1, 3, 2]) }, { y: t([1, 2, 3]) });
    expect(c.agree).toBe(false);
    expect(c.cosine).toBeCloseTo(13 / 14, 6);
    // two rows: the second disagrees
    expect(compareOutputs({ y: t([0, 1, 1, 0], [2, 2]) }, { y: t([0, 1, 0, 1], [2, 2]) }).agree).toBe(false);
    expect(compareOutputs({ y: t([0, 1, 1, 0], [2, 2]) }, { y: t([0, 2, 3, 0], [2, 2]) }).agree).toBe(true);
    // outputs paired by position when the candidate renamed them
    expect(compareOutputs({ y: t([1, 3]) }, { renamed: t([1, 3]) }).agree).toBe(true);
    expect(compareOutputs({ y: t([1, 3]) }, { y: t([Number.NaN, 3]) })).toEqual({ agree: false, cosine: 0, valid: false });
    expect(compareOutputs({ y: t([1, 3]) }, { y: t([1, 3, 4]) }).valid).toBe(false);
    expect(compareOutputs({ y: t([0, 0]) }, { y: t([0, 0]) }).cosine).toBe(1);
  });
});

describe(ShadowEvaluator.name, () => {
  let dir: string;
  let base: ModelSession;
  const images = mnistImages(200);
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-shadow-'));
    await fs.writeFile(path.join(dir, 'perturbed.onnx'), perturbedLenet(1.5, 7));
    await fs.writeFile(path.join(dir, 'nan.onnx'), unaryChain(['Sqrt']));
    await fs.writeFile(path.join(dir, 'abs.onnx'), unaryChain(['Abs']));
    base = await ModelSession.create(LENET);
  });
  afterAll(async () => {
    await base.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function evaluate(candidatePath: string, n: number) {
    const samples: ShadowSample[] = [];
    const sut = new ShadowEvaluator({ session: await ModelSession.create(candidatePath), candidate: CAND, sampleRate: 1, maxConcurrent: 1, onSample: (s) => void samples.push(s) });
    for (const img of images.slice(0, n)) {
      const feeds = lenetFeeds(img);
      expect(sut.offer(BASE, feeds, await base.run(feeds))).toBe(true);
      await sut.idle();
    }
    const stats = sut.stats();
    await sut.dispose();
    return { stats, samples };
  }

  it('the same model agrees on every MNIST image with cosine 1', async () => {
    const { stats, samples } = await evaluate(LENET, 100);
    expect(stats).toMatchObject({ offered: 100, samples: 100, top1Agree: 100, agreement: 1, candidateErrors: 0, skippedBusy: 0 });
    expect(stats.meanCosine).toBeGreaterThan(0.999999);
    expect(samples.every((s) => s.baseVersionId === BASE && s.candidateVersionId === CAND.versionId && s.latencyMs > 0)).toBe(true);
  });

  it('a perturbed LeNet measurably disagrees: agreement and cosine below 1', async () => {
    const { stats } = await evaluate(path.join(dir, 'perturbed.onnx'), 200);
    expect(stats.samples).toBe(200);
    expect(stats.candidateErrors).toBe(0);
    expect(stats.agreement).toBeLessThan(0.95);
    expect(stats.agreement).toBeGreaterThan(0.3);
    expect(stats.meanCosine).toBeLessThan(0.999);
  });

  it('honours sampleRate statistically (binomial, ±5 σ) and bounds concurrent candidate runs', async () => {
    const session = await ModelSession.create(path.join(dir, 'abs.onnx'));
    const sut = new ShadowEvaluator({ session, candidate: CAND, sampleRate: 0.25, maxConcurrent: 10_000, random: prng(42) });
    const feeds = { x: t([1, 2, 3, 4]) };
    const out = { y: t([1, 2, 3, 4]) };
    const n = 4000;
    let scheduled = 0;
    for (let i = 0; i < n; i++) if (sut.offer(BASE, feeds, out)) scheduled++;
    await sut.idle();
    const sd = Math.sqrt(n * 0.25 * 0.75);
    expect(Math.abs(scheduled - n * 0.25)).toBeLessThan(5 * sd);
    expect(sut.stats()).toMatchObject({ offered: n, samples: scheduled, agreement: 1 });
    // with Math.random too
    sut.sampleRate = 0.1;
    let again = 0;
    const before = sut.stats().samples;
    const rnd = new ShadowEvaluator({ session: session.retain(), candidate: CAND, sampleRate: 0.1, maxConcurrent: 10_000 });
    for (let i = 0; i < n; i++) if (rnd.offer(BASE, feeds, out)) again++;
    await rnd.idle();
    expect(Math.abs(again - n * 0.1)).toBeLessThan(5 * Math.sqrt(n * 0.1 * 0.9));
    expect(sut.stats().samples).toBe(before);
    await rnd.dispose();
    // one candidate run at a time: a burst schedules one and skips the rest
    const bounded = new ShadowEvaluator({ session: session.retain(), candidate: CAND, sampleRate: 1, maxConcurrent: 1 });
    const burst = Array.from({ length: 10 }, () => bounded.offer(BASE, feeds, out));
    expect(burst.filter(Boolean)).toHaveLength(1);
    expect(bounded.stats().skippedBusy).toBe(9);
    await bounded.dispose();
    await sut.dispose();
    expect(session.released).toBe(true);
  });

  it('dispose does not wait for a slow candidate run beyond its limit; the session is released when the run ends', async () => {
    const session = await IsolatedSession.create(LENET);
    const sut = new ShadowEvaluator({ session, candidate: CAND, sampleRate: 1 });
    const n = 4000;
    const big = { input: { dims: [n, 1, 28, 28], data: new Float32Array(n * 784).fill(0.5) } };
    expect(sut.offer(BASE, big, await base.run(big))).toBe(true);
    await new Promise((r) => setImmediate(r)); // the candidate run has started
    const t = performance.now();
    await sut.dispose(1);
    expect(performance.now() - t).toBeLessThan(50);
    expect(session.released).toBe(false);
    await sut.idle();
    await waitFor(() => session.released, 5_000, 'released');
    expect(sut.stats().samples).toBe(1);
  });

  it('a failing candidate (NaN, or throwing on the input) never fails or changes a served request', async () => {
    const server = new InferenceServer({ port: 0 });
    const baseUrl = `http://127.0.0.1:${await server.listen()}`;
    await server.swap(await ModelSession.create(path.join(dir, 'abs.onnx')), { sha256: 'a'.repeat(64), versionId: BASE, variantId: CAND.variantId });
    const nanShadow = new ShadowEvaluator({ session: await ModelSession.create(path.join(dir, 'nan.onnx')), candidate: CAND, sampleRate: 1, maxConcurrent: 4 });
    const throwingShadow = new ShadowEvaluator({ session: await ModelSession.create(LENET), candidate: CAND, sampleRate: 1, maxConcurrent: 4 });
    let current = nanShadow;
    const withShadow = new InferenceServer({ port: 0, onServed: (m, feeds, outputs) => current.offer(m.versionId, feeds, outputs) });
    const url = `http://127.0.0.1:${await withShadow.listen()}`;
    await withShadow.swap(await ModelSession.create(path.join(dir, 'abs.onnx')), { sha256: 'a'.repeat(64), versionId: BASE, variantId: CAND.variantId });
    const infer = (u: string, data: number[]) => fetch(`${u}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: { x: { dims: [1, 4], data } } }) });
    for (const shadow of [nanShadow, throwingShadow]) {
      current = shadow;
      const inputs = Array.from({ length: 30 }, (_, i) => [-1 - i, 2, -3, 4]);
      const served = await Promise.all(inputs.map((d) => infer(url, d)));
      const plain = await Promise.all(inputs.map((d) => infer(baseUrl, d)));
      expect(served.map((r) => r.status)).toEqual(inputs.map(() => 200));
      const a = await Promise.all(served.map((r) => r.json() as Promise<{ outputs: { y: { data: number[] } } }>));
      const b = await Promise.all(plain.map((r) => r.json() as Promise<{ outputs: { y: { data: number[] } } }>));
      expect(a.map((r) => r.outputs.y.data)).toEqual(b.map((r) => r.outputs.y.data));
      await shadow.idle();
      const s = shadow.stats();
      expect(s.samples).toBeGreaterThan(0);
      expect(s.candidateErrors).toBe(s.samples);
      expect(s.agreement).toBe(0);
      await shadow.dispose();
    }
    await withShadow.close();
    await server.close();
  });
});

describe(ShadowReportBuffer.name, () => {
  let dir: string;
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('aggregates per candidate, base and minute into ShadowBatch items; spools while the server is away, bounded', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-shadow-report-'));
    let up = false;
    const sent: ShadowItem[][] = [];
    const file = path.join(dir, 'shadow.json');
    const send = async (items: ShadowItem[]) => {
      if (!up) throw new Error('ECONNREFUSED');
      sent.push(items);
    };
    const sut = new ShadowReportBuffer({ file, maxItems: 3, send });
    const T0 = Date.parse('2026-01-01T00:00:00Z');
    const s = (agree: boolean, error = false): ShadowSample => ({ candidateVersionId: CAND.versionId, baseVersionId: BASE, agree, cosine: agree ? 1 : 0.5, error, latencyMs: 3 });
    sut.record(s(true), T0 + 1000);
    sut.record(s(false), T0 + 2000);
    sut.record(s(false, true), T0 + 59_000);
    for (let m = 1; m < 5; m++) sut.record(s(true), T0 + m * 60_000);
    expect(await sut.flush()).toBe(false);
    expect(await sut.stats()).toMatchObject({ spooled: 3, dropped: 2, live: 0 });
    up = true;
    // a restarted agent finds the spool
    const again = new ShadowReportBuffer({ file, maxItems: 3, send });
    again.record(s(true), T0 + 5 * 60_000);
    expect(await again.flush()).toBe(true);
    const items = sent.flat();
    expect(items.map((i) => new Date(i.bucketStart).getUTCMinutes())).toEqual([2, 3, 4, 5]);
    expect(ShadowBatch.safeParse({ items }).success).toBe(true);

    const fresh = new ShadowReportBuffer({ file: path.join(dir, 'other.json'), send });
    fresh.record(s(true), T0 + 1000);
    fresh.record(s(false), T0 + 2000);
    fresh.record(s(false, true), T0 + 59_000);
    sent.length = 0;
    expect(await fresh.flush()).toBe(true);
    expect(sent[0]).toEqual([
      { candidateVersionId: CAND.versionId, baseVersionId: BASE, bucketStart: '2026-01-01T00:00:00.000Z', samples: 3, top1Agree: 1, cosineSum: 2, candidateErrors: 1, candidateHistogram: [0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0] },
    ]);
    expect(ShadowBatch.parse({ items: sent[0] }).items).toHaveLength(1);
  });
});
