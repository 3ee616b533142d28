import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_RECIPES, waitFor, WorkerHarness } from './harness.js';

/** A private redis-server with an append-only file, so a restart keeps the queue (never the machine's Redis). */
class OwnRedis {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async create(): Promise<OwnRedis> {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
      server.on('error', reject);
    });
    return new OwnRedis(port, await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-redis-')));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir, '--save', ''], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('redis-server ready', async () => out.includes('Ready to accept connections'), 10_000, 20);
  }

  /** SIGKILL: nothing gets flushed beyond what appendfsync already wrote. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.kill();
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

describe('Redis restart (own redis-server with AOF)', () => {
  let h: WorkerHarness;
  let redis: OwnRedis;

  beforeAll(async () => {
    h = await WorkerHarness.create();
    redis = await OwnRedis.create();
    await redis.start();
  });
  afterAll(async () => {
    await h?.close();
    await redis?.close();
  });

  it('finishes queued and running pipelines after Redis is killed and restarted under a live worker', async () => {
    const profiles = await h.seedProfiles();
    const prefix = h.newPrefix();
    const worker = await h.startWorker(prefix, { REDIS_URL: redis.url, EVAL_MAX_SAMPLES: '1000' });
    const { version } = await h.seedModel({ evaluation: true });
    const run = await h.createRun(version.id, [profiles.get('arm64-cpu-int8')!, profiles.get('mcu-int8')!], FAST_RECIPES);
    await h.enqueue(prefix, run.id, run.jobs.map((j) => j.id), undefined, redis.url);
    await waitFor('a job running', async () => (await h.db.pipelineJob.count({ where: { runId: run.id, status: 'running' } })) > 0, 20_000, 20);

    await redis.kill();
    await new Promise((r) => setTimeout(r, 500));
    await redis.start();

    const done = await h.waitForRun(run.id, ['succeeded', 'partial', 'failed'], 60_000);
    expect(done.status).toBe('succeeded');
    expect(await h.db.variant.count({ where: { versionId: version.id } })).toBe(2 * FAST_RECIPES.length);
    expect(worker.proc.exitCode).toBeNull();
  });
});
