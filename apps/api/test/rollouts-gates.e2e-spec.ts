import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Behaviour,
  createWorld,
  getRollout,
  rolloutDevices,
  rolloutEvents,
  runUntilStatus,
  type SimFleet,
  simulateWorld,
  startRollout,
  startWorker,
  type World,
  type WorkerProcess,
} from './rollouts.fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

/** Shadow agreement, field accuracy and inconclusive gates, with a real worker and simulated devices over HTTP. */
describe('rollout gates (worker + API + devices)', () => {
  let sut: TestApp;
  let worker: WorkerProcess;

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    worker = await startWorker(sut);
  });
  afterAll(async () => {
    await worker?.kill();
    await sut?.close();
  });

  const fleetOf = (w: World, behaviour: (versionId: string) => Behaviour) => simulateWorld(sut, w, behaviour);
  const until = (fleet: SimFleet, id: string, statuses: string[]) => runUntilStatus(sut, fleet, id, statuses);
  const create = (w: World, body: object) => startRollout(sut, w, body);

  it('stops a version whose shadow agreement is 60 % before any device switches to it', async () => {
    const w = await createWorld(sut, 4, 'disagreeing');
    const fleet = fleetOf(w, (v) => ({ agreement: v === w.v2 ? 0.6 : 1 }));
    await fleet.step();
    const r = await create(w, {
      strategy: { kind: 'canary', waves: [50, 100], bakeTimeS: 0 },
      gates: { shadow: { sampleRate: 0.5, minSamples: 50, minAgreement: 0.9 } },
    });
    const done = await until(fleet, r.id, ['rolled_back', 'completed', 'paused']);
    expect(done.status).toBe('rolled_back');
    expect(done.reason).toMatch(/^wave 1 of 2: shadow gate failed: shadow agreement 60% over \d+ samples is below 90%/);
    expect(done.waves[0]!.verdict?.gates[0]).toMatchObject({ gate: 'shadow', verdict: 'fail', observed: 0.6, threshold: 0.9 });
    const wave0 = (await rolloutDevices(sut, r.id, { wave: 0 })).map((d) => d.deviceId).sort();
    await fleet.step();
    for (const d of fleet.devices) {
      // the wave's devices shadowed it, nobody was ever assigned it, and nobody shadows it any more
      expect(d.assignedEver.has(w.v2)).toBe(false);
      expect(d.shadowedEver.has(w.v2)).toBe(wave0.includes(d.id));
      const state = await d.desired();
      expect(state.shadow).toBeNull();
      expect(state.assignment?.version.id).toBe(w.v1);
    }
    const events = await rolloutEvents(sut, r.id, { kind: 'device' });
    expect(events.filter((e) => e.to === 'assigned')).toEqual([]);
    expect(
      events
        .filter((e) => e.to === 'shadow')
        .map((e) => e.deviceId)
        .sort(),
    ).toEqual(wave0);
  });

  it('switches a wave once its shadow agreement passes, then promotes on telemetry', async () => {
    const w = await createWorld(sut, 2, 'agreeing');
    const fleet = fleetOf(w, (v) => ({ agreement: v === w.v2 ? 0.97 : 1 }));
    await fleet.step();
    const r = await create(w, {
      strategy: { kind: 'all-at-once' },
      gates: { shadow: { sampleRate: 0.25, minSamples: 50, minAgreement: 0.9 } },
    });
    const done = await until(fleet, r.id, ['completed', 'rolled_back', 'paused']);
    expect(done.status, done.reason ?? '').toBe('completed');
    const kinds = (await rolloutEvents(sut, r.id)).filter((e) => e.kind !== 'device').map((e) => e.kind);
    expect(kinds.slice(0, 3)).toEqual(['created', 'wave.started', 'wave.shadow']);
    expect(kinds.slice(-2)).toEqual(['wave.passed', 'completed']);
    // the shadow verdict came before the switch
    expect(kinds.indexOf('wave.switched')).toBeGreaterThan(kinds.indexOf('wave.verdict'));
    expect(done.waves[0]!.verdict?.gates.map((g) => g.gate)).toEqual(['health', 'errorRate', 'latencyP95']);
    const transitions = (await rolloutEvents(sut, r.id, { kind: 'device', deviceId: w.devices[0]!.deviceId })).map(
      (e) => `${e.from}→${e.to}`,
    );
    expect(transitions).toEqual(['pending→shadow', 'shadow→assigned', 'assigned→running']);
    for (const d of fleet.devices) expect(await d.desired()).toMatchObject({ shadow: null, assignment: { version: { id: w.v2 } } });
  });

  it('rolls back a version whose field accuracy drops by 10 points', async () => {
    const w = await createWorld(sut, 4, 'inaccurate');
    const fleet = fleetOf(w, (v) => ({ accuracy: v === w.v2 ? 0.8 : 0.9 }));
    await fleet.step();
    await fleet.step();
    const r = await create(w, {
      strategy: { kind: 'canary', waves: [50, 100], bakeTimeS: 1 },
      gates: { accuracy: { maxDrop: 0.05, minLabelled: 60 } },
    });
    const done = await until(fleet, r.id, ['rolled_back', 'completed', 'paused']);
    expect(done.status).toBe('rolled_back');
    expect(done.reason).toMatch(/^wave 1 of 2: accuracy gate failed: accuracy 80% on \d+ labels is below 85% \(baseline 90%/);
    const wave0 = (await rolloutDevices(sut, r.id, { wave: 0 })).map((d) => d.deviceId).sort();
    expect(
      fleet.devices
        .filter((d) => d.assignedEver.has(w.v2))
        .map((d) => d.id)
        .sort(),
    ).toEqual(wave0);
    for (const d of fleet.devices) expect((await d.desired()).assignment?.version.id).toBe(w.v1);
  });

  it('switches at most maxDevicesPerMinute devices per minute', async () => {
    const w = await createWorld(sut, 5, 'throttled');
    const fleet = fleetOf(w, () => ({}));
    const r = await create(w, { strategy: { kind: 'canary', waves: [100], bakeTimeS: 0, maxDevicesPerMinute: 2 } });
    await fleet.runUntil('two devices switched', async () => (await getRollout(sut, r.id)).counts.pending === 3);
    // ten more ticks: the minute's budget is spent
    for (let i = 0; i < 10; i++) await fleet.step();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await getRollout(sut, r.id);
    expect(now.counts.pending).toBe(3);
    expect(now.waves[0]!.phase).toBe('switching');
    expect(fleet.devices.filter((d) => d.assignedEver.has(w.v2))).toHaveLength(2);
    await sut.http.post(`/api/rollouts/${r.id}/abort`).send({}).expect(200);
  });

  it('pauses a wave that stays inconclusive past the timeout, and waits again after resume', async () => {
    const w = await createWorld(sut, 2, 'silent');
    // devices follow the desired state but serve nothing: no telemetry to judge
    const fleet = simulateWorld(sut, w, () => ({}));
    fleet.devices.forEach((d) => (d.serve = async () => {}));
    const r = await create(w, { gates: { inconclusiveTimeoutS: 1 } });
    const paused = await until(fleet, r.id, ['paused', 'completed', 'rolled_back']);
    expect(paused.status).toBe('paused');
    expect(paused.reason).toMatch(/^wave 1 of 1 inconclusive for 1 s: .*errorRate: 0 of 50 requests needed/);
    expect(paused.waves[0]).toMatchObject({ phase: 'baking', verdict: { verdict: 'inconclusive' } });
    // paused: nothing advances (the devices keep the candidate they were given)
    for (const d of fleet.devices) expect((await d.desired()).assignment?.version.id).toBe(w.v2);
    const resumed = (await sut.http.post(`/api/rollouts/${r.id}/resume`).send({ actor: 'ops', reason: 'labels are coming' }).expect(200))
      .body;
    expect(resumed).toMatchObject({ status: 'running', reason: null });
    const again = await until(fleet, r.id, ['paused']);
    expect(again.status).toBe('paused');
    const kinds = (await rolloutEvents(sut, r.id)).map((e) => e.kind).filter((k) => k === 'paused' || k === 'resumed');
    expect(kinds).toEqual(['paused', 'resumed', 'paused']);
    await sut.http.post(`/api/rollouts/${r.id}/abort`).send({}).expect(200);
    for (const d of fleet.devices) expect((await d.desired()).assignment?.version.id).toBe(w.v1);
  });
});
