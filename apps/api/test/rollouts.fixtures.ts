import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DesiredState, HISTOGRAM_SIZE, type RolloutDto, type RunningState } from '@edgefleet/contracts';
import { expect } from 'vitest';
import { createToken, createVersion, enroll, type Enrolled, insertVariant, LENET } from './device-fixtures.js';
import type { TestApp } from './test-app.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const WORKER = path.join(repoRoot, 'apps/worker/dist/main.worker.js');
const API = path.join(repoRoot, 'apps/api/dist/main.api.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface WorkerProcess {
  proc: ChildProcess;
  logs: string[];
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** A real worker process (the built apps/worker) on the app's database, Redis and queue prefix. */
export async function startWorker(sut: TestApp, env: Record<string, string> = {}): Promise<WorkerProcess> {
  expect(existsSync(WORKER), 'the worker must be built first').toBe(true);
  const proc = spawn(process.execPath, [WORKER], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      DATABASE_URL: sut.config.databaseUrl,
      REDIS_URL: sut.config.redisUrl,
      DATA_DIR: sut.config.dataDir,
      QUEUE_PREFIX: sut.config.queue.prefix,
      LOG_LEVEL: process.env.TEST_WORKER_LOG_LEVEL ?? 'info',
      ROLLOUT_TICK_MS: '300',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(line);
    if (process.env.TEST_WORKER_ECHO) process.stderr.write(chunk);
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const signal = async (sig: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
    await exited;
  };
  await Promise.race([
    waitFor('worker ready', async () => logs.some((l) => l.includes('worker ready')), 20_000),
    exited.then(() => {
      throw new Error(`worker exited before it was ready:\n${logs.join('\n')}`);
    }),
  ]);
  return { proc, logs, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

export interface ApiProcess {
  url: string;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

/** A free loopback port (so a restarted API process can come back on the same one). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The built API (apps/api/dist) as a process of its own, on the test app's database, data directory, Redis and queue prefix. */
export async function startApiProcess(sut: TestApp, port: number): Promise<ApiProcess> {
  expect(existsSync(API), 'the API must be built first').toBe(true);
  const proc = spawn(process.execPath, [API], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      DATABASE_URL: sut.config.databaseUrl,
      REDIS_URL: sut.config.redisUrl,
      DATA_DIR: sut.config.dataDir,
      QUEUE_PREFIX: sut.config.queue.prefix,
      AUTO_PIPELINES: 'false',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      DASHBOARD_DIR: path.join(sut.config.dataDir, 'no-dashboard'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await Promise.race([
    waitFor('api listening', async () => log.includes('edgefleet api listening'), 30_000),
    exited.then(() => {
      throw new Error(`api exited before listening:\n${log.slice(-3000)}`);
    }),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** How a simulated device behaves on a version. */
export interface Behaviour {
  /** Refuse to install it: report `install/failed` with its versionId in heartbeats. */
  failInstall?: boolean;
  /** Of every 30 requests served, how many fail. */
  errors?: number;
  /** Latency bucket (index into LATENCY_BUCKETS_MS) of every request. */
  latencyBucket?: number;
  /** Share of labelled predictions that are right. */
  accuracy?: number;
  /** When shadowing this version: share of samples with the same top-1. */
  agreement?: number;
}

const minute = () => new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
const histogram = (n: number, bucket: number) => Array.from({ length: HISTOGRAM_SIZE }, (_, i) => (i === bucket ? n : 0));

/**
 * An edge device driven over HTTP with its own credentials, doing what a real agent does: follow the desired
 * state, install (or fail to), report `running` in heartbeats, serve requests (telemetry), get labels
 * (feedback) and run the shadow candidate (shadow reports).
 */
export class SimDevice {
  running: RunningState | null = null;
  shadowOf: string | null = null;
  /** Every version this device was ever told to run (assignment) or to shadow. */
  readonly assignedEver = new Set<string>();
  readonly shadowedEver = new Set<string>();
  private served = 0;

  constructor(
    private readonly sut: TestApp,
    readonly enrolled: Enrolled,
    readonly behaviour: (versionId: string) => Behaviour,
  ) {}

  get id() {
    return this.enrolled.deviceId;
  }

  desired() {
    return this.sut.http
      .get('/api/device/desired')
      .set('authorization', this.enrolled.auth)
      .expect(200)
      .then((r) => DesiredState.parse(r.body));
  }

  /** Follows the desired state once, then heartbeats. */
  async sync(): Promise<void> {
    const state = await this.desired();
    const a = state.assignment;
    if (a) this.assignedEver.add(a.version.id);
    if (state.shadow) this.shadowedEver.add(state.shadow.version.id);
    let error: { code: string; message: string; versionId: string } | null = null;
    if (a && a.version.id !== this.running?.versionId) {
      if (this.behaviour(a.version.id).failInstall)
        error = { code: 'install/failed', message: 'model failed to load', versionId: a.version.id };
      else this.running = { v: 1, versionId: a.version.id, variantId: a.variant.id, sha256: a.sha256 };
    }
    if (!a) this.running = null;
    this.shadowOf = state.shadow?.version.id ?? null;
    await this.sut.http
      .post('/api/device/heartbeat')
      .set('authorization', this.enrolled.auth)
      .send({ health: error ? 'failing' : 'ok', running: this.running, ...(error ? { error } : {}) })
      .expect(200);
  }

  /** Serves 30 requests on what it runs (and shadows the candidate), reporting telemetry, labels and shadow results. */
  async serve(): Promise<void> {
    if (!this.running) return;
    const versionId = this.running.versionId;
    const b = this.behaviour(versionId);
    const n = 30;
    await this.sut.http
      .post('/api/device/telemetry')
      .set('authorization', this.enrolled.auth)
      .send({
        buckets: [{ versionId, bucketStart: minute(), count: n, errors: b.errors ?? 0, histogram: histogram(n, b.latencyBucket ?? 3) }],
      })
      .expect(202);
    if (b.accuracy !== undefined) {
      const right = Math.round(n * b.accuracy);
      const items = Array.from({ length: n }, (_, i) => ({
        versionId,
        predictionId: `${this.id}-${this.served + i}`,
        predicted: i < right ? 1 : 2,
        label: 1,
      }));
      await this.sut.http.post('/api/device/feedback').set('authorization', this.enrolled.auth).send({ items }).expect(202);
    }
    this.served += n;
    if (this.shadowOf) {
      const agree = Math.round(n * (this.behaviour(this.shadowOf).agreement ?? 1));
      await this.sut.http
        .post('/api/device/shadow')
        .set('authorization', this.enrolled.auth)
        .send({
          items: [
            {
              candidateVersionId: this.shadowOf,
              baseVersionId: versionId,
              bucketStart: minute(),
              samples: n,
              top1Agree: agree,
              cosineSum: agree * 0.99,
              candidateErrors: 0,
              candidateHistogram: histogram(n, 3),
            },
          ],
        })
        .expect(202);
    }
  }
}

/** A fleet of simulated devices stepping together until a condition holds. */
export class SimFleet {
  constructor(readonly devices: SimDevice[]) {}

  async step(): Promise<void> {
    await Promise.all(
      this.devices.map(async (d) => {
        await d.sync();
        await d.serve();
      }),
    );
  }

  /** Steps every `everyMs` until `probe` returns something. */
  async runUntil<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 25_000, everyMs = 150): Promise<T> {
    return waitFor(
      what,
      async () => {
        await this.step();
        return probe();
      },
      timeoutMs,
      everyMs,
    );
  }
}

export interface World {
  modelId: string;
  v1: string;
  v2: string;
  group: string;
  devices: Enrolled[];
}

/**
 * A model with v1 and v2 (recommended variants for arm64-cpu-int8), and `n` aarch64 devices enrolled in a
 * group of their own, all assigned v1.
 */
export async function createWorld(sut: TestApp, n: number, name: string): Promise<World> {
  const version = await createVersion(sut, name);
  const second = await sut.http
    .post(`/api/models/${version.modelId}/versions`)
    .attach('file', await fs.readFile(LENET), 'model.onnx')
    .expect(201);
  await insertVariant(sut, version.versionId, 'arm64-cpu-int8');
  await insertVariant(sut, second.body.id, 'arm64-cpu-int8');
  const group = `${name}-fleet`;
  const { token } = await createToken(sut, { group });
  const devices: Enrolled[] = [];
  for (let i = 0; i < n; i++) devices.push(await enroll(sut, token, {}, `${name}-${i}`));
  await sut.http.post('/api/assignments').send({ modelId: version.modelId, version: 1, target: { group } }).expect(200);
  return { modelId: version.modelId, v1: version.versionId, v2: second.body.id, group, devices };
}

/** The world's devices simulated over HTTP, each answering `behaviour` for the version it is assigned. */
export const simulateWorld = (sut: TestApp, w: World, behaviour: (versionId: string) => Behaviour) =>
  new SimFleet(w.devices.map((d) => new SimDevice(sut, d, behaviour)));

/** Starts a rollout of the world's version 2 to its group; `body` adds the strategy, gates, etc. Expects 201. */
export async function startRollout(sut: TestApp, w: Pick<World, 'modelId' | 'group'>, body: object): Promise<RolloutDto> {
  const res = await sut.http
    .post('/api/rollouts')
    .send({ modelId: w.modelId, version: 2, target: { group: w.group }, ...body })
    .expect(201);
  return res.body as RolloutDto;
}

/** Steps the fleet until rollout `id` is in one of `statuses`, and answers the rollout then. */
export const runUntilStatus = (sut: TestApp, fleet: SimFleet, id: string, statuses: string[], timeoutMs?: number) =>
  fleet.runUntil(
    `rollout ${id} in ${statuses.join('|')}`,
    async () => {
      const r = await getRollout(sut, id);
      return statuses.includes(r.status) ? r : null;
    },
    timeoutMs,
  );

export const getRollout = async (sut: TestApp, id: string): Promise<RolloutDto> =>
  (await sut.http.get(`/api/rollouts/${id}`).expect(200)).body;

export async function rolloutEvents(sut: TestApp, id: string, query: Record<string, string> = {}) {
  const items: { kind: string; deviceId: string | null; from: string | null; to: string | null; reason: string | null; id: string }[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = (
      await sut.http
        .get(`/api/rollouts/${id}/events`)
        .query({ ...query, limit: 200, offset })
        .expect(200)
    ).body;
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}

export async function rolloutDevices(sut: TestApp, id: string, query: Record<string, string | number> = {}) {
  return (
    await sut.http
      .get(`/api/rollouts/${id}/devices`)
      .query({ limit: 200, ...query })
      .expect(200)
  ).body.items as {
    deviceId: string;
    wave: number | null;
    state: string;
    skipReason: string | null;
    previousVersion: { id: string; number: number } | null;
  }[];
}
