import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HeartbeatRequest } from '@edgefleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions } from '../src/agent.js';
import { SessionCache } from '../src/runtime/model-session.js';
import { ModelStore } from '../src/store/model-store.js';
import { FakeDeviceApi, version, waitFor } from './fake-device-api.js';
import { platformKey } from './keys.js';
import { LENET, mnistImages, perturbedLenet, unaryChain } from './onnx-models.js';

const GOOD = unaryChain(['Abs', 'Sqrt']); // finite everywhere
const NAN_ON_NEGATIVE = unaryChain(['Sqrt']); // passes the health check (inputs in [0, 1]), NaN on negative inputs
const NAN_ALWAYS = unaryChain(['Abs', 'Neg', 'Sqrt']); // fails the health check
const x = (data: number[]) => ({ x: { dims: [1, 4], data: Float32Array.from(data) } });

describe('Agent: failure reporting, post-swap fallback and shadow evaluation (against an in-process device API)', () => {
  let api: FakeDeviceApi;
  let dir: string;
  let agent: Agent | null = null;
  beforeEach(async () => {
    api = new FakeDeviceApi();
    await api.listen();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-rollout-'));
    await api.enroll(dir);
  });
  afterEach(async () => {
    await agent?.stop();
    agent = null;
    await api.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const start = async (opts: Partial<AgentOptions> = {}) => {
    agent = new Agent({ stateDir: dir, serve: false, push: false, waitS: 1, heartbeatMs: 60_000, flushMs: 60_000, ...opts });
    await agent.start();
    return agent;
  };
  const runs = (a: Agent, versionId: string) => waitFor(() => a.status().running?.versionId === versionId, 10_000, `running ${versionId}`);
  /** The first heartbeat after `t` that satisfies `pred` (every heartbeat must also parse as the contract says). */
  const heartbeat = (t: number, pred: (h: HeartbeatRequest) => boolean) =>
    waitFor(() => api.heartbeatsSince(t).find((h) => HeartbeatRequest.parse(h) && pred(h)), 5_000, 'heartbeat');

  it('reports every refusal and failed health check with the versionId at once, and reports ok again once desired is what runs', async () => {
    const v1 = version(1, GOOD);
    api.setDesired({ assignment: api.assignment(v1) });
    const sut = await start();
    await runs(sut, v1.versionId);

    // signed by another key: refused
    const v2 = version(2, GOOD);
    let t = api.setDesired({ assignment: api.assignment(v2, { key: platformKey().privateKey }) });
    const refused = await heartbeat(t, (h) => h.error?.versionId === v2.versionId);
    expect(refused).toMatchObject({ health: 'degraded', running: { versionId: v1.versionId }, error: { code: 'manifest/bad_signature', versionId: v2.versionId } });
    // "promptly": the heartbeat follows the failure, not the 60 s heartbeat period
    expect(api.heartbeats.find((h) => h.body === refused)!.at - t).toBeLessThan(3_000);

    // loads, but its outputs are NaN: fails the health check, keeps serving v1
    const v3 = version(3, NAN_ALWAYS);
    t = api.setDesired({ assignment: api.assignment(v3) });
    expect(await heartbeat(t, (h) => h.error?.versionId === v3.versionId)).toMatchObject({ health: 'degraded', error: { code: 'health/check_failed', versionId: v3.versionId } });
    expect((await sut.infer(x([4, 9, 16, 25]))).modelVersion.versionId).toBe(v1.versionId);

    // validly signed, but its probe outputs were tampered with: the health check refuses it
    const v4 = version(4, GOOD);
    const probe = { inputs: { x: { dims: [1, 4], data: [1, 4, 9, 16] } }, outputs: { y: { dims: [1, 4], data: [1, 2, 3, 5] } }, tolerance: 1e-3 };
    t = api.setDesired({ assignment: api.assignment(v4, { extra: { probe } }) });
    const tampered = await heartbeat(t, (h) => h.error?.versionId === v4.versionId);
    expect(tampered.error).toMatchObject({ code: 'health/check_failed', message: expect.stringContaining('probe output y differs') });
    expect(sut.status().counters).toMatchObject({ installs: 1, refused: 3 });

    // the rollout returns the device to what it runs: ok again, error cleared
    t = api.setDesired({ assignment: api.assignment(v1) });
    expect(await heartbeat(t, () => true)).toMatchObject({ health: 'ok', error: null, running: { versionId: v1.versionId } });
    expect(sut.status().counters.installs).toBe(1);

    // the same probe, untampered, passes
    const v5 = version(5, GOOD);
    api.setDesired({ assignment: api.assignment(v5, { extra: { probe: { ...probe, outputs: { y: { dims: [1, 4], data: [1, 2, 3, 4] } } } } }) });
    await runs(sut, v5.versionId);
  });

  it('falls back to the previous model when the new one emits NaN in service: no request fails, active.json and the report follow, the assignment stays refused', async () => {
    const v1 = version(1, GOOD);
    api.setDesired({ assignment: api.assignment(v1) });
    const sut = await start({ probation: { requests: 20, maxFailures: 1 } });
    await runs(sut, v1.versionId);

    const v2 = version(2, NAN_ON_NEGATIVE);
    const bad = api.assignment(v2);
    api.setDesired({ assignment: bad });
    await runs(sut, v2.versionId);
    expect(sut.status().probation).toMatchObject({ versionId: v2.versionId, requests: 20, maxFailures: 1, checked: 0, failures: 0 });
    const t = Date.now();
    // concurrent load on the new model; every third input is negative (NaN from v2)
    const inputs = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? [-1, -4, 9, 16] : [1, 4, 9, 16]));
    const results = await Promise.all(inputs.map((d) => sut.infer(x(d))));
    for (const r of results) expect(r.outputs.y!.data.every((v) => Number.isFinite(v))).toBe(true);
    // the failed ones were answered by v1
    expect(results.filter((r, i) => i % 3 === 0).every((r) => r.modelVersion.versionId === v1.versionId)).toBe(true);

    await waitFor(() => sut.status().running?.versionId === v1.versionId, 5_000, 'fallback');
    expect((await sut.infer(x([-1, -4, 9, 16]))).modelVersion.versionId).toBe(v1.versionId);
    const report = await heartbeat(t, (h) => h.error?.code === 'model/failed_in_service');
    expect(report).toMatchObject({ health: 'degraded', running: { versionId: v1.versionId }, error: { versionId: v2.versionId, message: expect.stringContaining('non-finite') } });
    const pointers = await new ModelStore(dir).pointers();
    expect(pointers.current?.versionId).toBe(v1.versionId);
    expect(sut.status().counters).toMatchObject({ installs: 2, fallbacks: 1 });
    expect(sut.status().probation).toBeNull();

    // the same assignment again (a new etag): refused, not reinstalled
    api.setDesired({ assignment: bad });
    await new Promise((r) => setTimeout(r, 300));
    expect(sut.status()).toMatchObject({ running: { versionId: v1.versionId }, counters: { installs: 2 } });

    // v2's failures reached telemetry (rollout error-rate gates see them)
    await sut.flush();
    const v2Buckets = api.telemetry.filter((b) => b.versionId === v2.versionId);
    expect(v2Buckets.reduce((n, b) => n + b.errors, 0)).toBeGreaterThanOrEqual(2);

    // rolled back by the platform: ok again
    const t2 = api.setDesired({ assignment: api.assignment(v1) });
    expect(await heartbeat(t2, () => true)).toMatchObject({ health: 'ok', error: null });
  });

  it('runs a shadow candidate on sampled live requests (shared sessions as in simulate), reports agreement per minute, drops it when it goes away', async () => {
    const images = mnistImages(60);
    const base = version(1, new Uint8Array(await fs.readFile(LENET)));
    const candidate = version(2, perturbedLenet(1.5, 7));
    const rolloutId = crypto.randomUUID();
    api.setDesired({ assignment: api.assignment(base), shadow: api.shadow(candidate, 1, rolloutId) });
    const sessions = new SessionCache();
    const sut = await start({ sessions, shadowConcurrency: 64, serve: true, port: 0 });
    await runs(sut, base.versionId);
    await waitFor(() => sut.status().shadow, 10_000, 'shadow');
    expect(sessions.size).toBe(2);

    for (const img of images) {
      const r = await sut.infer({ input: { dims: [1, 1, 28, 28], data: img } });
      expect(r.modelVersion.versionId).toBe(base.versionId);
    }
    const shadow = await waitFor(() => (sut.status().shadow?.samples === 60 ? sut.status().shadow : null), 10_000, 'samples');
    expect(shadow).toMatchObject({ rolloutId, versionId: candidate.versionId, sampleRate: 1, samples: 60, candidateErrors: 0 });
    expect(shadow.agreement).toBeLessThan(1);
    // the local status endpoint shows it too
    const local = (await (await fetch(`http://127.0.0.1:${sut.port}/v1/status`)).json()) as { shadow: { versionId: string; agreement: number } };
    expect(local.shadow).toMatchObject({ versionId: candidate.versionId, agreement: shadow.agreement });

    // server away for shadow reports: spooled, delivered on the next flush
    api.shadowUp = false;
    await sut.flush();
    expect(api.shadowItems).toHaveLength(0);
    expect(JSON.parse(await fs.readFile(path.join(dir, 'shadow.json'), 'utf8')).items.length).toBeGreaterThan(0);
    api.shadowUp = true;
    await sut.flush();
    expect(api.shadowItems.reduce((n, i) => n + i.samples, 0)).toBe(60);
    expect(api.shadowItems.reduce((n, i) => n + i.top1Agree, 0)).toBe(shadow.top1Agree);
    expect(api.shadowItems.every((i) => i.candidateVersionId === candidate.versionId && i.baseVersionId === base.versionId)).toBe(true);

    // installed beside the active model, not activated
    const store = new ModelStore(dir);
    expect((await store.pointers()).current?.versionId).toBe(base.versionId);
    const candidateSha = api.assignment(candidate).sha256;
    expect(await store.has(candidateSha)).toBe(true);

    // the rollout drops the shadow: session released, file pruned
    api.setDesired({ shadow: null });
    await waitFor(() => sut.status().shadow === null, 5_000, 'shadow gone');
    expect(sessions.size).toBe(1);
    await waitFor(async () => !(await store.has(candidateSha)), 5_000, 'pruned');

    // a candidate that fails its health check: reported with its versionId, not run
    const broken = version(3, NAN_ALWAYS);
    const t = api.setDesired({ shadow: api.shadow(broken, 0.5, rolloutId) });
    expect(await heartbeat(t, (h) => h.error?.versionId === broken.versionId)).toMatchObject({ health: 'degraded', running: { versionId: base.versionId }, error: { code: 'health/check_failed' } });
    expect(sut.status().shadow).toBeNull();
    const t2 = api.setDesired({ shadow: null });
    expect(await heartbeat(t2, () => true)).toMatchObject({ health: 'ok', error: null });
  });

  it('a download the server fails (503) is retried with backoff, not refused nor reported against the version', async () => {
    const v1 = version(1, GOOD);
    api.artifactFailures = 2;
    const t = api.setDesired({ assignment: api.assignment(v1) });
    const sut = await start();
    await waitFor(() => sut.status().counters.installs === 1, 10_000, 'installed');
    expect(sut.status().running?.versionId).toBe(v1.versionId);
    expect(api.artifactFailures).toBe(0);
    expect(sut.status().counters).toMatchObject({ installs: 1, refused: 0, fetchRetries: 2 });
    expect(api.heartbeatsSince(t).some((h) => h.error?.versionId)).toBe(false);
    expect(sut.status()).toMatchObject({ health: 'ok', error: null });
  });

  it('without shared sessions the shadow candidate runs in a child process of its own, gone with the shadow', async () => {
    const images = mnistImages(30);
    const base = version(1, new Uint8Array(await fs.readFile(LENET)));
    const candidate = version(2, new Uint8Array(await fs.readFile(LENET)));
    api.setDesired({ assignment: api.assignment(base), shadow: api.shadow(candidate, 1) });
    const children = async () => (await fs.readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).length;
    const before = await children();
    const sut = await start({ shadowConcurrency: 8 });
    await waitFor(() => sut.status().shadow, 10_000, 'shadow');
    expect(await children()).toBe(before + 1);
    for (const img of images) await sut.infer({ input: { dims: [1, 1, 28, 28], data: img } });
    // a burst: what the candidate cannot take at once (8 runs) is skipped, never queued
    const s = await waitFor(() => {
      const x = sut.status().shadow;
      return x && x.samples + x.skippedBusy === 30 ? x : null;
    }, 10_000, 'samples');
    expect(s.samples).toBeGreaterThanOrEqual(8);
    expect(s).toMatchObject({ offered: 30, agreement: 1, candidateErrors: 0 });
    expect(s.meanCosine).toBeGreaterThan(0.999999);
    api.setDesired({ shadow: null });
    await waitFor(() => sut.status().shadow === null, 5_000, 'shadow gone');
    await waitFor(async () => (await children()) === before, 5_000, 'child exited');
  });

  it('a model that fails to restore at start is reported with its versionId; the previous one serves, and desired == running clears it', async () => {
    const v1 = version(1, GOOD);
    const a1 = api.assignment(v1);
    const broken = { sha256: 'b'.repeat(64), versionId: crypto.randomUUID(), variantId: crypto.randomUUID(), installedAt: new Date().toISOString() };
    await fs.mkdir(path.join(dir, 'models'), { recursive: true });
    await fs.writeFile(path.join(dir, 'models', `${a1.sha256}.onnx`), GOOD);
    await fs.writeFile(path.join(dir, 'models', `${broken.sha256}.onnx`), 'not a model');
    const installed = { sha256: a1.sha256, versionId: v1.versionId, variantId: v1.variantId, installedAt: new Date().toISOString() };
    await fs.writeFile(path.join(dir, 'active.json'), JSON.stringify({ v: 1, current: broken, previous: installed }));
    const sut = new Agent({ stateDir: dir, serve: false, push: false, waitS: 1, heartbeatMs: 60_000, flushMs: 60_000 });
    agent = sut;
    await sut.start();
    expect(sut.status()).toMatchObject({ health: 'degraded', running: { versionId: v1.versionId }, error: { code: 'restore/failed', versionId: broken.versionId } });
    // nothing assigned yet: the first heartbeat carries the restore failure
    await heartbeat(0, (h) => h.error?.code === 'restore/failed' && h.error.versionId === broken.versionId);
    const t = api.setDesired({ assignment: a1 });
    expect(await heartbeat(t, (h) => h.health === 'ok')).toMatchObject({ error: null, running: { versionId: v1.versionId } });
    expect(sut.status().counters.installs).toBe(0);
  });
});
