import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createVersion, insertVariant, LENET } from './device-fixtures.js';
import { getRollout, rolloutDevices, rolloutEvents, startWorker, waitFor, type WorkerProcess } from './rollouts.fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

const AGENT_CLI = path.resolve(import.meta.dirname, '../../../packages/agent/dist/cli/main.js');

/**
 * Real agent processes on a shared machine take their time to enroll and install: tests here get 120 s.
 *
 * Rollouts with real agents (`edgefleet-agent simulate`: N agents in one process, each with its own identity,
 * desired-state loop, verified downloads, installs and heartbeats), the real worker and the API.
 */
describe('rollouts with real agents', () => {
  let sut: TestApp;
  let worker: WorkerProcess;
  let url: string;
  const sims: ChildProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    await sut.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(sut.app.getHttpServer().address() as AddressInfo).port}`;
    worker = await startWorker(sut);
  });
  afterAll(async () => {
    for (const s of sims) if (s.exitCode === null) s.kill('SIGKILL');
    await worker?.kill();
    await sut?.close();
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  }, 120_000);

  /** `count` real agents enrolled in `group`, all running v1 of a fresh model; v2 uploaded. */
  async function fleet(name: string, count: number, opts: { brokenV2?: boolean } = {}) {
    const { token } = await createToken(sut, { group: name });
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), `edgefleet-rollout-${name}-`));
    dirs.push(stateDir);
    const v1 = await createVersion(sut, name);
    const v2 = (
      await sut.http
        .post(`/api/models/${v1.modelId}/versions`)
        .attach('file', await fs.readFile(LENET), 'model.onnx')
        .expect(201)
    ).body;
    const sim = spawn(
      process.execPath,
      [
        AGENT_CLI,
        'simulate',
        '--count',
        String(count),
        '--server',
        url,
        '--token',
        token,
        '--state',
        stateDir,
        '--wait',
        '2',
        '--heartbeat-ms',
        '300',
        '--flush-ms',
        '500',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    sims.push(sim);
    let log = '';
    sim.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    sim.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const devices = await waitFor(
      `${count} agents enrolled`,
      async () => {
        const page = (await sut.http.get('/api/devices').query({ group: name, limit: 200 }).expect(200)).body;
        return page.total === count ? (page.items as { id: string; profile: { slug: string } }[]) : null;
      },
      30_000,
    );
    const profiles = [...new Set(devices.map((d) => d.profile.slug))];
    for (const p of profiles) {
      await insertVariant(sut, v1.versionId, p);
      const bad = await insertVariant(sut, v2.id, p);
      // a variant whose bytes are not what its signed manifest says: agents refuse to install it
      if (opts.brokenV2) await sut.db.artifact.update({ where: { id: bad.artifactId }, data: { sha256: 'f'.repeat(64) } });
    }
    await sut.http
      .post('/api/assignments')
      .send({ modelId: v1.modelId, version: 1, target: { group: name } })
      .expect(200);
    await waitFor(
      'every agent running v1',
      async () => {
        const page = (await sut.http.get('/api/devices').query({ group: name, limit: 200 }).expect(200)).body;
        return page.items.every((d: { running: { versionId: string } | null }) => d.running?.versionId === v1.versionId);
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${log.slice(-3000)}`);
    });
    return { modelId: v1.modelId, v1: v1.versionId, v2: v2.id as string, group: name, devices };
  }

  it('a good version reaches every agent through the canary waves; the agents report it running', async () => {
    const f = await fleet('agents-good', 6);
    const r = (
      await sut.http
        .post('/api/rollouts')
        .send({
          modelId: f.modelId,
          version: 2,
          target: { group: f.group },
          strategy: { kind: 'canary', waves: [34, 67, 100], bakeTimeS: 0 },
          gates: { errorRate: null, latencyP95: null },
        })
        .expect(201)
    ).body;
    const done = await waitFor(
      'completed',
      async () => {
        const x = await getRollout(sut, r.id);
        return ['completed', 'rolled_back', 'paused'].includes(x.status) ? x : null;
      },
      30_000,
    );
    expect(done.status, done.reason ?? '').toBe('completed');
    await waitFor(
      'every agent running v2',
      async () => {
        const page = (await sut.http.get('/api/devices').query({ group: f.group, limit: 200 }).expect(200)).body;
        return page.items.every((d: { running: { versionId: string } | null }) => d.running?.versionId === f.v2);
      },
      30_000,
    );
    const states = await waitFor('rollout devices running', async () => {
      const ds = await rolloutDevices(sut, r.id);
      return ds.every((d) => d.state === 'running') ? ds : null;
    });
    expect(states).toHaveLength(6);
  }, 120_000);

  it('a version the agents cannot install is rolled back at the first wave; the others never get it', async () => {
    const f = await fleet('agents-broken', 6, { brokenV2: true });
    const r = (
      await sut.http
        .post('/api/rollouts')
        .send({ modelId: f.modelId, version: 2, target: { group: f.group }, strategy: { kind: 'canary', waves: [34, 100], bakeTimeS: 60 } })
        .expect(201)
    ).body;
    const done = await waitFor(
      'rolled back',
      async () => {
        const x = await getRollout(sut, r.id);
        return ['completed', 'rolled_back', 'paused'].includes(x.status) ? x : null;
      },
      30_000,
    );
    expect(done.status).toBe('rolled_back');
    expect(done.reason).toMatch(/^wave 1 of 2: health gate failed: \d device\(s\) failed v2/);
    const wave0 = (await rolloutDevices(sut, r.id, { wave: 0 })).map((d) => d.deviceId).sort();
    const assigned = (await rolloutEvents(sut, r.id, { kind: 'device' }))
      .filter((e) => e.to === 'assigned')
      .map((e) => e.deviceId)
      .sort();
    expect(assigned).toEqual(wave0);
    // and every agent keeps (or returns to) v1
    const page = (await sut.http.get('/api/devices').query({ group: f.group, limit: 200 }).expect(200)).body;
    for (const d of page.items) expect(d.assignment.versionId).toBe(f.v1);
    await waitFor('every agent healthy on v1', async () => {
      const p = (await sut.http.get('/api/devices').query({ group: f.group, limit: 200 }).expect(200)).body;
      return p.items.every((d: { running: { versionId: string } | null }) => d.running?.versionId === f.v1);
    });
  }, 120_000);
});
