import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWorld,
  freePort,
  getRollout,
  rolloutEvents,
  runUntilStatus,
  type SimFleet,
  simulateWorld,
  sleep,
  startApiProcess,
  startRollout,
  startWorker,
  type WorkerProcess,
} from './rollouts.fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

/** A rollout survives its API and its worker: every step is persisted, so new processes continue where it was. */
describe('rollout restart (API and worker processes)', () => {
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

  const until = (fleet: SimFleet, id: string, statuses: string[]) => runUntilStatus(sut, fleet, id, statuses);

  it('continues a rollout where it was after the API and the worker are killed mid-wave', async () => {
    const w = await createWorld(sut, 4, 'restart');
    // the devices talk to an API process of its own, which is killed with the worker
    const port = await freePort();
    let api = await startApiProcess(sut, port);
    try {
      const remote: TestApp = { ...sut, http: supertest.agent(api.url).set('authorization', `Bearer ${sut.apiKey}`) };
      const fleet = simulateWorld(remote, w, () => ({ errors: 0 }));
      await fleet.step();
      const r = await startRollout(remote, w, { strategy: { kind: 'canary', waves: [50, 100], bakeTimeS: 2 } });
      await fleet.runUntil('wave 1 baking', async () => (await getRollout(remote, r.id)).waves[0]!.phase === 'baking');
      await Promise.all([worker.kill(), api.kill()]);
      const frozen = await getRollout(sut, r.id);
      await sleep(1_500);
      // nobody ticks: nothing moves
      const still = await getRollout(sut, r.id);
      expect([still.status, still.currentWave, still.waves.map((x) => x.phase)]).toEqual([
        frozen.status,
        frozen.currentWave,
        frozen.waves.map((x) => x.phase),
      ]);
      [api, worker] = await Promise.all([startApiProcess(sut, port), startWorker(sut)]);
      const done = await until(fleet, r.id, ['completed', 'rolled_back', 'paused']);
      expect(done.status, done.reason ?? '').toBe('completed');
      const events = await rolloutEvents(sut, r.id);
      // each step happened once: the new worker picked up the baking wave instead of starting over
      expect(events.filter((e) => e.kind === 'wave.started')).toHaveLength(2);
      expect(events.filter((e) => e.kind === 'device' && e.to === 'assigned')).toHaveLength(4);
      expect(done.waves[0]!.switchedAt).toBe(frozen.waves[0]!.switchedAt);
      for (const d of fleet.devices) expect((await d.desired()).assignment?.version.id).toBe(w.v2);
    } finally {
      await api.kill();
    }
  });
});
