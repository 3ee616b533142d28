import type { AddressInfo } from 'node:net';
import type { RolloutChangedEvent } from '@edgefleet/contracts';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Behaviour,
  createWorld,
  rolloutDevices,
  rolloutEvents,
  runUntilStatus,
  type SimFleet,
  simulateWorld,
  startRollout,
  startWorker,
  waitFor,
  type World,
  type WorkerProcess,
} from './rollouts.fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

/**
 * The rollout controller end to end: the API, a real worker process ticking every 300 ms, and simulated devices
 * driven over HTTP with their own credentials (desired state, heartbeats with `running`, telemetry).
 */
describe('rollout controller (worker + API + devices)', () => {
  let sut: TestApp;
  let worker: WorkerProcess;
  let socket: Socket;
  const live: RolloutChangedEvent[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    await sut.app.listen(0, '127.0.0.1');
    worker = await startWorker(sut);
    socket = io(`http://127.0.0.1:${(sut.app.getHttpServer().address() as AddressInfo).port}/events`, {
      transports: ['websocket'],
      forceNew: true,
      auth: { token: sut.apiKey },
    });
    socket.on('rollout.changed', (e) => live.push(e));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    expect(await socket.emitWithAck('subscribe', { rollouts: true })).toEqual({ ok: true });
  });
  afterAll(async () => {
    socket?.disconnect();
    await worker?.kill();
    await sut?.close();
  });

  const fleetOf = (w: World, behaviour: (versionId: string) => Behaviour) => simulateWorld(sut, w, behaviour);
  const until = (fleet: SimFleet, id: string, statuses: string[], timeoutMs?: number) => runUntilStatus(sut, fleet, id, statuses, timeoutMs);

  /** Devices that were ever assigned the version, from the history: only these may ever have received it. */
  const everAssigned = async (id: string) =>
    new Set((await rolloutEvents(sut, id, { kind: 'device' })).filter((e) => e.to === 'assigned').map((e) => e.deviceId));

  it('promotes a good version through 3 canary waves to 100 %: every device ends on it and runs it (two workers ticking)', async () => {
    const w = await createWorld(sut, 6, 'good');
    const fleet = fleetOf(w, () => ({ errors: 0 }));
    await fleet.step(); // a baseline for v1
    // a second worker process ticks the same rollouts: the row lock keeps every step single
    const second = await startWorker(sut, { ROLLOUT_TICK_MS: '200' });
    const started = Date.now();
    const r = await startRollout(sut, w, { strategy: { kind: 'canary', waves: [34, 67, 100], bakeTimeS: 1 } });
    const done = await until(fleet, r.id, ['completed', 'rolled_back', 'paused']);
    await second.kill();
    expect(done.status, done.reason ?? '').toBe('completed');
    expect(done.waves.map((x) => [x.devices, x.phase, x.verdict?.verdict])).toEqual([
      [3, 'passed', 'pass'],
      [2, 'passed', 'pass'],
      [1, 'passed', 'pass'],
    ]);
    // each wave baked at least its second
    for (const wave of done.waves) expect(Date.parse(wave.bakeUntil!) - Date.parse(wave.switchedAt!)).toBe(1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    await fleet.step();
    for (const d of fleet.devices) expect((await d.desired()).assignment?.version.id).toBe(w.v2);
    const states = await waitFor('every device reported running v2', async () => {
      const devices = await rolloutDevices(sut, r.id);
      return devices.every((d) => d.state === 'running') ? devices : null;
    });
    expect(states.every((d) => d.previousVersion?.id === w.v1)).toBe(true);
    const events = await rolloutEvents(sut, r.id);
    const kinds = events.filter((e) => e.kind !== 'device').map((e) => e.kind);
    expect(kinds.filter((k) => k === 'wave.started')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'wave.switched')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'wave.passed')).toHaveLength(3);
    expect(kinds.at(-1)).toBe('completed');
    expect(events.filter((e) => e.kind === 'device' && e.to === 'assigned')).toHaveLength(6);
    // live on /events: the API's `created`, then the worker's transitions
    const seen = await waitFor(
      'completed on the socket',
      async () => {
        const mine = live.filter((e) => e.rolloutId === r.id);
        return mine.some((e) => e.kind === 'completed') ? mine : null;
      },
      5_000,
    );
    expect(seen[0]).toMatchObject({ v: 1, kind: 'created', status: 'running', currentWave: 0 });
    expect(seen.filter((e) => e.kind === 'wave.switched').map((e) => e.currentWave)).toEqual([0, 1, 2]);
    expect(seen.at(-1)).toMatchObject({ kind: 'completed', status: 'completed', currentWave: 2 });
    // the gates compared against v1's figures on the same devices
    const errorRate = done.waves[0]!.verdict!.gates.find((g) => g.gate === 'errorRate')!;
    expect(errorRate).toMatchObject({ verdict: 'pass', observed: 0, baseline: 0 });
    expect(errorRate.samples).toBeGreaterThanOrEqual(50);
  });

  it('rolls back automatically when the first wave reports errors; no device outside it ever gets the version', async () => {
    const w = await createWorld(sut, 6, 'erroring');
    const fleet = fleetOf(w, (v) => ({ errors: v === w.v2 ? 12 : 0 }));
    await fleet.step();
    const r = await startRollout(sut, w, { strategy: { kind: 'canary', waves: [34, 67, 100], bakeTimeS: 30 } });
    const done = await until(fleet, r.id, ['rolled_back', 'completed', 'paused']);
    expect(done.status).toBe('rolled_back');
    // judged within the bake time: fail fast
    expect(Date.parse(done.finishedAt!)).toBeLessThan(Date.parse(done.waves[0]!.bakeUntil!));
    expect(done.reason).toMatch(/^wave 1 of 3: errorRate gate failed: error rate 40% over \d+ requests exceeds 2%/);
    expect(done.waves.map((x) => x.phase)).toEqual(['failed', 'pending', 'pending']);
    const wave0 = new Set((await rolloutDevices(sut, r.id, { wave: 0 })).map((d) => d.deviceId));
    expect(wave0.size).toBe(3);
    expect(await everAssigned(r.id)).toEqual(wave0);
    await fleet.step();
    for (const d of fleet.devices) {
      expect((await d.desired()).assignment?.version.id).toBe(w.v1);
      expect(d.assignedEver.has(w.v2)).toBe(wave0.has(d.id));
    }
    expect((await rolloutDevices(sut, r.id, { state: 'rolled_back' })).map((d) => d.deviceId).sort()).toEqual([...wave0].sort());
    const events = await rolloutEvents(sut, r.id);
    expect(events.find((e) => e.kind === 'wave.failed')?.reason).toBe(done.reason);
    expect(
      events
        .filter((e) => e.kind !== 'device')
        .slice(-2)
        .map((e) => e.kind),
    ).toEqual(['rollback.started', 'rolled_back']);
  });

  it('aborts at once when a device of the wave fails to install the version (heartbeat error naming it)', async () => {
    const w = await createWorld(sut, 4, 'unloadable');
    const fleet = fleetOf(w, (v) => ({ failInstall: v === w.v2 }));
    await fleet.step();
    const r = await startRollout(sut, w, { strategy: { kind: 'canary', waves: [25, 100], bakeTimeS: 30 } });
    const done = await until(fleet, r.id, ['rolled_back', 'completed', 'paused']);
    expect(done.status).toBe('rolled_back');
    expect(done.reason).toMatch(/^wave 1 of 2: health gate failed: 1 device\(s\) failed v2 .*unloadable-\d: install\/failed/);
    const wave0 = (await rolloutDevices(sut, r.id, { wave: 0 })).map((d) => d.deviceId);
    expect([...(await everAssigned(r.id))]).toEqual(wave0);
    const failedEvent = (await rolloutEvents(sut, r.id, { kind: 'device' })).find((e) => e.to === 'failed');
    expect(failedEvent?.deviceId).toBe(wave0[0]);
    for (const d of fleet.devices) expect((await d.desired()).assignment?.version.id).toBe(w.v1);
  });
});
