import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openNpz } from '@edgefleet/compress';
import { createPrismaClient, type PrismaClient } from '@edgefleet/db';
import { createTestDatabase } from '@edgefleet/platform/testing';
import { inject } from 'vitest';
import { fixture } from './test-app.js';
import { apiKeyDisplayPrefix, sha256 } from '../src/auth/tokens.js';

/**
 * The platform as separate processes, as it runs in production: the built API and worker, and real
 * `edgefleet-agent` processes enrolled with a token and serving MNIST digits. For suites that must not simulate
 * anything between the dashboard or the API and the devices.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
export const API_MAIN = path.join(ROOT, 'apps/api/dist/main.api.js');
export const WORKER_MAIN = path.join(ROOT, 'apps/worker/dist/main.worker.js');
export const AGENT_CLI = path.join(ROOT, 'packages/agent/dist/cli/main.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something truthy (errors count as "not yet"). */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

/** A node script as a child process, its output kept (the tail) for failure messages. */
export class Proc {
  readonly child: ChildProcess;
  log = '';
  constructor(script: string, args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (c: Buffer) => (this.log = (this.log + c.toString()).slice(-200_000));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
  }
  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (!this.alive) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill(signal);
    await exited;
  }
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

export interface PlatformSetup {
  db: PrismaClient;
  dataDir: string;
  apiUrl: string;
  /** The environment of the API and worker processes (PORT matches apiUrl). */
  env: Record<string, string>;
  /** The artifact signing key (PKCS#8 PEM) both processes share. */
  pem: string;
  /** Drops the database and the data folder. */
  cleanup: () => Promise<void>;
}

/**
 * What the processes need before they start: a database cloned from the migrated template with `apiKey` as an admin
 * key of its organisation, a data folder, a free port and the environment, `env` added last.
 */
export async function preparePlatform(name: string, apiKey: string, env: Record<string, string> = {}): Promise<PlatformSetup> {
  const database = await createTestDatabase(inject('templateDatabase'));
  const db = createPrismaClient({ databaseUrl: database.url, poolSize: 2 });
  const org = (await db.organization.findFirstOrThrow({ select: { id: true } })).id;
  await db.apiKey.create({ data: { orgId: org, name, role: 'admin', prefix: apiKeyDisplayPrefix(apiKey), keyHash: sha256(apiKey) } });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `edgefleet-${name}-`));
  const port = await freePort();
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    db,
    dataDir,
    apiUrl: `http://127.0.0.1:${port}`,
    pem,
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      DATA_DIR: dataDir,
      QUEUE_PREFIX: `test-${randomUUID()}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ARTIFACT_SIGNING_KEY: pem,
      ROLLOUT_TICK_MS: '300',
      ...env,
    },
    cleanup: async () => {
      await db.$disconnect();
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the built API; `env` must carry PORT (and HOST) matching `apiUrl`. */
export async function startApiProcess(apiUrl: string, env: Record<string, string>): Promise<Proc> {
  const api = new Proc(API_MAIN, [], env);
  await until('the API', async () => (await fetch(`${apiUrl}/api/health`)).ok, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\napi: ${api.log.slice(-3000)}`);
  });
  return api;
}

export async function startWorkerProcess(env: Record<string, string>): Promise<Proc> {
  // "worker ready" is an info line.
  const worker = new Proc(WORKER_MAIN, [], { ...env, LOG_LEVEL: 'info' });
  await until('the worker', async () => worker.log.includes('worker ready'), 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\nworker: ${worker.log.slice(-3000)}`);
  });
  return worker;
}

export interface FleetAgent {
  name: string;
  stateDir: string;
  deviceId: string;
  proc: Proc;
  /** Where the agent's local inference API listens. */
  base: string;
}

/** `edgefleet-agent enroll` with an enrollment token; returns the device id it printed. */
export async function enrollAgent(apiUrl: string, token: string, stateDir: string, name: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [AGENT_CLI, 'enroll', '--server', apiUrl, '--token', token, '--state', stateDir, '--name', name]);
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { deviceId: string }).deviceId;
}

/** `edgefleet-agent run` on an enrolled state folder, with fast heartbeats; resolves once it serves. */
export async function startAgent(a: Omit<FleetAgent, 'proc' | 'base'>): Promise<FleetAgent> {
  const proc = new Proc(AGENT_CLI, ['run', '--state', a.stateDir, '--port', '0', '--wait', '5', '--heartbeat-ms', '400', '--flush-ms', '400'], {});
  const line = await until(`${a.name} to serve`, async () => /\{[^\n]*"msg":"serving"[^\n]*\}/.exec(proc.log)?.[0]);
  return { ...a, proc, base: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}

export interface Digits {
  x: Float32Array;
  labels: number[];
}

/** The first `n` MNIST evaluation digits with their labels. */
export async function loadDigits(n = 600): Promise<Digits> {
  const npz = await openNpz(fixture('npz/mnist-eval-9k.npz'));
  const x = (await npz.readArray('input')).data as Float32Array;
  const labels = Array.from((await npz.readArray('labels')).data as BigInt64Array, Number).slice(0, n);
  return { x: x.subarray(0, n * 784), labels };
}

export interface Traffic {
  sent: number;
  failed: number;
  errors: string[];
  stop: () => Promise<void>;
}

/** Serves MNIST digits on every agent and feeds the true label back, round-robin, until stopped. */
export function startTraffic(agents: readonly FleetAgent[], digits: Digits, pauseMs = 10): Traffic {
  let running = true;
  const state: Traffic = { sent: 0, failed: 0, errors: [], stop: async () => {} };
  const loops = agents.map(async (a, k) => {
    let i = k * 97;
    while (running) {
      const n = i++ % digits.labels.length;
      try {
        const res = await fetch(`${a.base}/v1/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: { input: { dims: [1, 1, 28, 28], data: Array.from(digits.x.subarray(n * 784, (n + 1) * 784)) } } }),
        });
        const body = (await res.json()) as { predictionId?: string; error?: string };
        state.sent++;
        if (!res.ok || !body.predictionId) {
          state.failed++;
          if (state.errors.length < 5) state.errors.push(`${a.name}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
        } else {
          await fetch(`${a.base}/v1/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ predictionId: body.predictionId, label: digits.labels[n] }),
          });
        }
      } catch (err) {
        if (state.errors.length < 5) state.errors.push(`${a.name}: ${(err as Error).message}`);
      }
      await sleep(pauseMs);
    }
  });
  state.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return state;
}
