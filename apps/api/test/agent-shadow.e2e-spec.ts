import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Agent, simulate, type Simulation } from '@edgefleet/agent';
import type { RolloutDto } from '@edgefleet/contracts';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, insertVariant, LENET } from './device-fixtures.js';
import { getRollout, rolloutDevices, rolloutEvents, startWorker, waitFor, type WorkerProcess } from './rollouts.fixtures.js';
import { createTestApp, fixture, type TestApp } from './test-app.js';

const { onnx } = onnxProto;

/** LeNet with uniform noise (±scale × (|w| + mean |w|)) on every float initializer: mostly, not always, the same top-1. */
function perturbedLenet(bytes: Uint8Array, scale: number): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const init of model.graph!.initializer!) {
    if (init.dataType !== onnx.TensorProto.DataType.FLOAT) continue;
    const values = init.rawData?.length ? new Float32Array(new Uint8Array(init.rawData).buffer.slice(0)) : Float32Array.from(init.floatData ?? []);
    const mean = values.reduce((a, v) => a + Math.abs(v), 0) / Math.max(1, values.length);
    for (let i = 0; i < values.length; i++) values[i] = values[i]! + (rand() * 2 - 1) * scale * (Math.abs(values[i]!) + mean);
    init.rawData = new Uint8Array(values.buffer);
    init.floatData = [];
  }
  return onnx.ModelProto.encode(model).finish();
}

/** LeNet whose output goes through Sqrt: NaN wherever a logit is negative, so it fails the agent's health check. */
function nanLenet(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const out = graph.output![0]!.name!;
  for (const node of graph.node!) node.output = node.output!.map((o) => (o === out ? 'logits' : o));
  graph.node!.push(onnx.NodeProto.create({ opType: 'Sqrt', input: ['logits'], output: [out], name: 'sqrt_out' }));
  return onnx.ModelProto.encode(model).finish();
}

/**
 * LeNet plus `0 · sqrt(mean(input) − 0.3)`: the same logits where the input's mean pixel is above 0.3 (the agent's
 * generated health-check inputs, mean ≈ 0.5), NaN on real MNIST digits (mean ≈ 0.13). Passes the health check,
 * fails in service.
 */
function nanInServiceLenet(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const input = graph.input![0]!.name!;
  const out = graph.output![0]!.name!;
  for (const node of graph.node!) node.output = node.output!.map((o) => (o === out ? 'logits' : o));
  const scalar = (name: string, v: number) => onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [v] });
  graph.initializer!.push(scalar('nan_threshold', 0.3), scalar('nan_zero', 0));
  graph.node!.push(
    onnx.NodeProto.create({ opType: 'Flatten', input: [input], output: ['nan_flat'], name: 'nan_flat' }),
    onnx.NodeProto.create({ opType: 'ReduceMean', input: ['nan_flat'], output: ['nan_mean'], name: 'nan_mean', attribute: [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] }] }),
    onnx.NodeProto.create({ opType: 'Sub', input: ['nan_mean', 'nan_threshold'], output: ['nan_diff'], name: 'nan_diff' }),
    onnx.NodeProto.create({ opType: 'Sqrt', input: ['nan_diff'], output: ['nan_sqrt'], name: 'nan_sqrt' }),
    onnx.NodeProto.create({ opType: 'Mul', input: ['nan_sqrt', 'nan_zero'], output: ['nan_term'], name: 'nan_term' }),
    onnx.NodeProto.create({ opType: 'Add', input: ['logits', 'nan_term'], output: [out], name: 'nan_out' }),
  );
  return onnx.ModelProto.encode(model).finish();
}

/** The first `n` MNIST t10k images as LeNet inputs (pixel/255). */
async function mnist(n: number): Promise<Float32Array[]> {
  const raw = gunzipSync(await fs.readFile(fixture('data/mnist/t10k-images-idx3-ubyte.gz')));
  return Array.from({ length: n }, (_, k) => Float32Array.from(raw.subarray(16 + k * 784, 16 + (k + 1) * 784), (b) => b / 255));
}

/**
 * Shadow evaluation end to end with real agents: the API, a real worker ticking rollouts, and `simulate` agents (one
 * process, shared ONNX sessions) serving MNIST traffic in-process. The agents download the candidate, run it on live
 * requests, report agreement; the rollout's shadow gate decides on what they measured.
 */
describe('agents × rollouts: shadow evaluation, failure reports (real API, worker and agents)', () => {
  let sut: TestApp;
  let worker: WorkerProcess;
  let url: string;
  let lenet: Uint8Array;
  let images: Float32Array[];
  const dirs: string[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    await sut.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(sut.app.getHttpServer().address() as AddressInfo).port}`;
    worker = await startWorker(sut);
    lenet = new Uint8Array(await fs.readFile(LENET));
    images = await mnist(500);
  });
  afterAll(async () => {
    await worker?.kill();
    await sut?.close();
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  /** `n` agents in a group of their own running v1 (LeNet), a v2 with the given bytes, both with recommended variants. */
  async function world(name: string, n: number, v2: Uint8Array) {
    const group = `${name}-fleet`;
    const { token } = await createToken(sut, { group });
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), `agent-shadow-${name}-`));
    dirs.push(stateDir);
    const sim = await simulate({ count: n, server: url, token, stateDir, serve: false, waitS: 2, heartbeatMs: 1_000, flushMs: 300, shadowConcurrency: 4 });
    const devices = (await sut.http.get(`/api/devices?group=${group}&limit=100`).expect(200)).body.items as { id: string; profile: { slug: string } }[];
    const slug = devices[0]!.profile.slug;
    const modelId = (await sut.http.post('/api/models').send({ name, task: 'image-classification' }).expect(201)).body.id as string;
    const upload = async (bytes: Uint8Array) => (await sut.http.post(`/api/models/${modelId}/versions`).attach('file', Buffer.from(bytes), 'model.onnx').expect(201)).body.id as string;
    const v1 = await upload(lenet);
    const v2id = await upload(v2);
    await insertVariant(sut, v1, slug);
    await insertVariant(sut, v2id, slug);
    await sut.http.post('/api/assignments').send({ modelId, version: 1, target: { group } }).expect(200);
    await waitFor('agents on v1', async () => sim.agents.every((a) => a.status().running?.versionId === v1), 20_000);
    return { sim, group, modelId, v1, v2: v2id, devices };
  }

  /** Live traffic on every agent until stopped, and what each agent ever ran and shadowed. */
  function traffic(sim: Simulation) {
    let stop = false;
    let failed = 0;
    let served = 0;
    const ran = new Map<Agent, Set<string>>(sim.agents.map((a) => [a, new Set()]));
    const shadowed = new Map<Agent, Set<string>>(sim.agents.map((a) => [a, new Set()]));
    const done = Promise.all(
      sim.agents.map(async (a, k) => {
        for (let i = k; !stop; i++) {
          try {
            const r = await a.infer({ input: { dims: [1, 1, 28, 28], data: images[i % images.length]! } });
            ran.get(a)!.add(r.modelVersion.versionId);
            served++;
          } catch {
            failed++;
          }
          const s = a.status().shadow;
          if (s) shadowed.get(a)!.add(s.versionId);
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    return {
      ran,
      shadowed,
      get failed() {
        return failed;
      },
      get served() {
        return served;
      },
      stop: async () => {
        stop = true;
        await done;
      },
    };
  }

  const terminal = (id: string, timeoutMs = 40_000) =>
    waitFor(`rollout ${id} to finish`, async () => {
      const r = await getRollout(sut, id);
      return ['rolled_back', 'completed', 'paused'].includes(r.status) ? r : null;
    }, timeoutMs, 200);

  it('a candidate that disagrees on real inputs is stopped by the shadow gate on what the agents measured; nobody ever serves it', async () => {
    const w = await world('disagree', 4, perturbedLenet(lenet, 1));
    const load = traffic(w.sim);
    try {
      const r: RolloutDto = (
        await sut.http
          .post('/api/rollouts')
          .send({ modelId: w.modelId, version: 2, target: { group: w.group }, strategy: { kind: 'canary', waves: [50, 100], bakeTimeS: 0 }, gates: { shadow: { sampleRate: 1, minSamples: 60, minAgreement: 0.97 } } })
          .expect(201)
      ).body;
      const done = await terminal(r.id);
      expect(done.status).toBe('rolled_back');
      expect(done.reason).toMatch(/shadow gate failed/);
      const gate = done.waves[0]!.verdict!.gates.find((g) => g.gate === 'shadow')!;
      expect(gate.verdict).toBe('fail');
      expect(gate.samples).toBeGreaterThanOrEqual(60);
      expect(gate.observed!).toBeLessThan(0.97);
      expect(gate.observed!).toBeGreaterThan(0.1);
      const wave0 = new Set((await rolloutDevices(sut, r.id, { wave: 0 })).map((d) => d.deviceId));
      expect(wave0.size).toBe(2);
      // the shadow goes away on the agents once the rollout is over
      await waitFor('shadows gone', async () => w.sim.agents.every((a) => a.status().shadow === null), 10_000);
      await load.stop();
      expect(load.failed).toBe(0);
      for (const a of w.sim.agents) {
        expect([...load.ran.get(a)!]).toEqual([w.v1]);
        expect(load.shadowed.get(a)!.has(w.v2)).toBe(wave0.has(a.status().deviceId!));
        expect(a.status()).toMatchObject({ health: 'ok', running: { versionId: w.v1 } });
      }
      expect((await rolloutEvents(sut, r.id, { kind: 'device' })).filter((e) => e.to === 'assigned')).toEqual([]);
    } finally {
      await load.stop();
      await w.sim.stop();
    }
  });

  it('a candidate that agrees passes the shadow gate and the fleet switches to it, served without a failed request', async () => {
    const w = await world('agree', 2, lenet);
    const load = traffic(w.sim);
    try {
      const r: RolloutDto = (
        await sut.http
          .post('/api/rollouts')
          .send({ modelId: w.modelId, version: 2, target: { group: w.group }, strategy: { kind: 'all-at-once' }, gates: { latencyP95: null, shadow: { sampleRate: 0.5, minSamples: 40, minAgreement: 0.99 } } })
          .expect(201)
      ).body;
      const done = await terminal(r.id);
      expect(done.status).toBe('completed');
      // the shadow phase came first, and its verdict before the switch
      const kinds = (await rolloutEvents(sut, r.id)).filter((e) => e.kind !== 'device').map((e) => e.kind);
      expect(kinds.slice(0, 3)).toEqual(['created', 'wave.started', 'wave.shadow']);
      expect(kinds.indexOf('wave.switched')).toBeGreaterThan(kinds.indexOf('wave.verdict'));
      const transitions = (await rolloutEvents(sut, r.id, { kind: 'device', deviceId: w.devices[0]!.id })).map((e) => `${e.from}→${e.to}`);
      expect(transitions).toEqual(['pending→shadow', 'shadow→assigned', 'assigned→running']);
      // what the agents measured and reported: every sample agreed
      const [measured] = await sut.db.$queryRawUnsafe<{ samples: number; agree: number; errors: number }[]>(
        'SELECT sum(samples)::int AS samples, sum(top1_agree)::int AS agree, sum(candidate_errors)::int AS errors FROM shadow_buckets WHERE candidate_version_id = $1::uuid',
        w.v2,
      );
      expect(measured!.samples).toBeGreaterThanOrEqual(40);
      expect(measured).toMatchObject({ agree: measured!.samples, errors: 0 });
      await waitFor('agents on v2', async () => w.sim.agents.every((a) => a.status().running?.versionId === w.v2 && a.status().shadow === null), 10_000);
      await load.stop();
      expect(load.failed).toBe(0);
      for (const a of w.sim.agents) expect(load.shadowed.get(a)!.has(w.v2)).toBe(true);
    } finally {
      await load.stop();
      await w.sim.stop();
    }
  });

  it('a version that fails the health check on the devices is reported with its versionId, rolled back, and the devices report ok again', async () => {
    const w = await world('unhealthy', 2, nanLenet(lenet));
    const load = traffic(w.sim);
    try {
      const r: RolloutDto = (
        await sut.http.post('/api/rollouts').send({ modelId: w.modelId, version: 2, target: { group: w.group }, strategy: { kind: 'canary', waves: [50, 100], bakeTimeS: 0 } }).expect(201)
      ).body;
      // the wave's device refuses v2 and says so in its next heartbeat
      const reported = await waitFor('a heartbeat error naming v2', async () => {
        const ds = (await sut.http.get(`/api/devices?group=${w.group}&limit=100`).expect(200)).body.items as { lastError: { code: string; versionId?: string } | null }[];
        return ds.find((d) => d.lastError?.versionId === w.v2)?.lastError;
      }, 20_000);
      expect(reported.code).toBe('health/check_failed');
      const done = await terminal(r.id);
      expect(done.status).toBe('rolled_back');
      expect(done.reason).toMatch(/health/);
      // back on v1 by desire: the degraded report clears
      await waitFor('devices ok again', async () => {
        const ds = (await sut.http.get(`/api/devices?group=${w.group}&limit=100`).expect(200)).body.items as { health: string; lastError: unknown; running: { versionId: string } }[];
        return ds.every((d) => d.health === 'ok' && d.lastError === null && d.running.versionId === w.v1);
      }, 15_000);
      await load.stop();
      expect(load.failed).toBe(0);
      for (const a of w.sim.agents) expect([...load.ran.get(a)!]).toEqual([w.v1]);
    } finally {
      await load.stop();
      await w.sim.stop();
    }
  });

  it('a version that passes the health check but emits NaN in service: the agent swaps back with no failed request, the rollout rolls back', async () => {
    const w = await world('nan-in-service', 4, nanInServiceLenet(lenet));
    const load = traffic(w.sim);
    try {
      const r: RolloutDto = (
        await sut.http.post('/api/rollouts').send({ modelId: w.modelId, version: 2, target: { group: w.group }, strategy: { kind: 'canary', waves: [50, 100], bakeTimeS: 0 } }).expect(201)
      ).body;
      // Read from the table, polled often: the error lives only until the rollback returns the device to v1.
      const reported = await waitFor('a heartbeat error naming v2', async () => {
        const ds = await sut.db.device.findMany({ where: { group: w.group }, select: { lastError: true } });
        return ds.map((d) => d.lastError as { code: string; message: string; versionId?: string } | null).find((e) => e?.versionId === w.v2);
      }, 20_000, 25);
      expect(reported).toMatchObject({ code: 'model/failed_in_service', message: expect.stringContaining('non-finite') });
      const done = await terminal(r.id);
      expect(done.status).toBe('rolled_back');
      const wave0 = new Set((await rolloutDevices(sut, r.id, { wave: 0 })).map((d) => d.deviceId));
      await waitFor('devices ok on v1', async () => {
        const ds = (await sut.http.get(`/api/devices?group=${w.group}&limit=100`).expect(200)).body.items as { health: string; running: { versionId: string } }[];
        return ds.every((d) => d.health === 'ok' && d.running.versionId === w.v1);
      }, 15_000);
      await load.stop();
      // no request failed: what v2 got wrong, v1 answered
      expect(load.failed).toBe(0);
      for (const a of w.sim.agents) {
        const id = a.status().deviceId!;
        expect(a.status().counters.fallbacks).toBe(wave0.has(id) ? 1 : 0);
        // only the first wave ever had v2; the others never ran it
        if (!wave0.has(id)) expect([...load.ran.get(a)!]).toEqual([w.v1]);
      }
    } finally {
      await load.stop();
      await w.sim.stop();
    }
  });

  it('installs a variant the real worker compressed and signed: its probe (dataset inputs, measured outputs) is checked on the device', async () => {
    const group = 'probe-fleet';
    const { token } = await createToken(sut, { group });
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-probe-'));
    dirs.push(stateDir);
    const sim = await simulate({ count: 1, server: url, token, stateDir, serve: false, waitS: 2, heartbeatMs: 1_000, flushMs: 1_000 });
    try {
      const device = (await sut.http.get(`/api/devices?group=${group}`).expect(200)).body.items[0] as { id: string; profile: { slug: string } };
      const modelId = (await sut.http.post('/api/models').send({ name: 'probed', task: 'image-classification' }).expect(201)).body.id as string;
      await sut.http.post(`/api/models/${modelId}/versions`).attach('file', LENET).expect(201);
      await sut.http.post(`/api/models/${modelId}/datasets`).field('name', 'eval').field('purpose', 'evaluation').attach('file', fixture('npz/mnist-calib-1k.npz'), 'eval.npz').expect(201);
      const recipes = [
        { id: 'fp32', precision: 'fp32', steps: [{ name: 'optimize', level: 'basic' }] },
        { id: 'int8-dynamic', precision: 'int8', steps: [{ name: 'optimize', level: 'basic' }, { name: 'int8-dynamic' }] },
      ];
      const run = (await sut.http.post(`/api/models/${modelId}/versions/1/pipelines`).send({ profiles: [device.profile.slug], recipes }).expect(201)).body as { id: string };
      await waitFor('the pipeline', async () => ['succeeded', 'partial', 'failed'].includes((await sut.http.get(`/api/pipelines/${run.id}`).expect(200)).body.status), 60_000, 250);
      const variants = await sut.db.variant.findMany({ where: { version: { modelId } } });
      const recommended = variants.find((v) => v.recommended)!;
      expect(recommended).toBeDefined();
      const probe = (recommended.manifest as { probe?: { inputs: Record<string, { dims: number[] }>; tolerance: number } }).probe;
      expect(probe?.inputs.input?.dims).toEqual([4, 1, 28, 28]);
      await sut.http.post('/api/assignments').send({ modelId, version: 1, target: { group } }).expect(200);
      const [agent] = sim.agents;
      // `running` is set when the model serves, the install counted once it is activated on disk: wait for both.
      await waitFor('the worker-made variant installed and running', async () => agent!.status().running?.variantId === recommended.id && agent!.status().counters.installs! >= 1, 20_000);
      expect(agent!.status()).toMatchObject({ health: 'ok', error: null, counters: { installs: 1, refused: 0, probed: 1 } });
      const r = await agent!.infer({ input: { dims: [1, 1, 28, 28], data: images[0]! } });
      expect(r.modelVersion.variantId).toBe(recommended.id);
    } finally {
      await sim.stop();
    }
  });
});
