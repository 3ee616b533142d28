import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_PROFILES } from '@edgefleet/compress';
import type { RecipeDto } from '@edgefleet/contracts';
import { builtinProfileRow, createPrismaClient, DEFAULT_ORG_ID, type HardwareProfile, type PrismaClient } from '@edgefleet/db';
import { addPipelineFlow, contentKey, LocalArtifactStorage, redisConnection } from '@edgefleet/platform';
import { createTestDatabase } from '@edgefleet/platform/testing';
import { FlowProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../..');
export const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures');
export const LENET = path.join(FIXTURES, 'models/mnist-lenet5/model.onnx');
export const MNIST_NPZ = path.join(FIXTURES, 'npz/mnist-calib-1k.npz');
/** MNIST t10k images 1000–9999: held out from MNIST_NPZ. */
export const MNIST_EVAL_NPZ = path.join(FIXTURES, 'npz/mnist-eval-9k.npz');
const WORKER_MAIN = path.join(REPO_ROOT, 'apps/worker/dist/main.worker.js');
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Cheap recipes that keep a lenet pipeline around a second. */
export const FAST_RECIPES: RecipeDto[] = [
  { id: 'fp32', precision: 'fp32', steps: [{ name: 'optimize', level: 'basic' }] },
  { id: 'int8-dynamic', precision: 'int8', steps: [{ name: 'optimize', level: 'basic' }, { name: 'int8-dynamic' }] },
];

export interface WorkerProcess {
  proc: ChildProcess;
  logs: string[];
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** One test file's world: its own database, data directory and queue prefixes; real Postgres, Redis and worker processes. */
export class WorkerHarness {
  private readonly workers: WorkerProcess[] = [];
  private readonly prefixes: string[] = [];
  private readonly redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });

  private constructor(
    readonly db: PrismaClient,
    readonly databaseUrl: string,
    readonly dataDir: string,
    readonly storage: LocalArtifactStorage,
    private readonly dropDatabase: () => Promise<void>,
  ) {}

  static async create(): Promise<WorkerHarness> {
    const database = await createTestDatabase(inject('templateDatabase'));
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-worker-test-'));
    const db = createPrismaClient({ databaseUrl: database.url, poolSize: 3 });
    return new WorkerHarness(db, database.url, dataDir, new LocalArtifactStorage(path.join(dataDir, 'artifacts')), database.drop);
  }

  /** A unique BullMQ prefix; its keys are deleted on close. */
  newPrefix(): string {
    const prefix = `test-worker-${randomBytes(4).toString('hex')}`;
    this.prefixes.push(prefix);
    return prefix;
  }

  async startWorker(prefix: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
    const proc = spawn(process.execPath, [WORKER_MAIN], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: this.databaseUrl,
        REDIS_URL,
        DATA_DIR: this.dataDir,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: process.env.TEST_WORKER_LOG_LEVEL ?? 'info',
        EVAL_MAX_SAMPLES: '64',
        JOB_BACKOFF_MS: '200',
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
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const worker: WorkerProcess = {
      proc,
      logs,
      exited,
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        return exited;
      },
      kill: async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        await exited;
      },
    };
    this.workers.push(worker);
    await Promise.race([
      waitFor('worker ready', async () => logs.some((l) => l.includes('worker ready')), 20_000),
      exited.then((code) => {
        throw new Error(`worker exited with ${code} before it was ready:\n${logs.join('\n')}`);
      }),
    ]);
    return worker;
  }

  async seedProfiles(extra: Partial<HardwareProfile>[] = []): Promise<Map<string, HardwareProfile>> {
    const rows = BUILTIN_PROFILES.map((p) => builtinProfileRow(p, DEFAULT_ORG_ID));
    const out = new Map<string, HardwareProfile>();
    for (const row of rows) out.set(row.slug, await this.db.hardwareProfile.create({ data: row }));
    for (const e of extra) {
      const row = await this.db.hardwareProfile.create({
        data: {
          orgId: DEFAULT_ORG_ID,
          slug: e.slug!,
          name: e.name ?? e.slug!,
          precisions: e.precisions ?? ['fp32', 'int8'],
          optimizationLevel: e.optimizationLevel ?? 'basic',
          threads: e.threads ?? 1,
          accuracyBudget: { maxDropPoints: 2 },
        },
      });
      out.set(row.slug, row);
    }
    return out;
  }

  private async putBlob(file: string): Promise<{ sha: string; key: string; bytes: number }> {
    const bytes = await fs.readFile(file);
    const sha = sha256(bytes);
    const temp = path.join(this.dataDir, `seed-${randomBytes(4).toString('hex')}`);
    await fs.writeFile(temp, bytes);
    await this.storage.putFile(temp, contentKey(sha));
    return { sha, key: contentKey(sha), bytes: bytes.byteLength };
  }

  /** A model with version 1 (the lenet fixture) and, optionally, MNIST as its evaluation and/or calibration dataset. */
  async seedModel(opts: { name?: string; evaluation?: boolean; calibration?: boolean; evaluationFile?: string } = {}) {
    const blob = await this.putBlob(LENET);
    const model = await this.db.model.create({
      data: { orgId: DEFAULT_ORG_ID, name: opts.name ?? `lenet-${randomBytes(3).toString('hex')}`, task: 'image-classification', labels: [...'0123456789'], nextVersion: 2 },
    });
    const artifact = await this.db.artifact.create({
      data: { orgId: DEFAULT_ORG_ID, kind: 'original', format: 'onnx', storageKey: blob.key, byteSize: BigInt(blob.bytes), sha256: blob.sha },
    });
    const version = await this.db.modelVersion.create({ data: { modelId: model.id, number: 1, inspection: {}, artifactId: artifact.id } });
    for (const purpose of ['evaluation', 'calibration'] as const) {
      if (!opts[purpose]) continue;
      const npz = await this.putBlob(purpose === 'evaluation' ? (opts.evaluationFile ?? MNIST_NPZ) : MNIST_NPZ);
      const dsArtifact = await this.db.artifact.create({
        data: { orgId: DEFAULT_ORG_ID, kind: 'dataset', format: 'npz', storageKey: npz.key, byteSize: BigInt(npz.bytes), sha256: npz.sha },
      });
      await this.db.dataset.create({
        data: { modelId: model.id, name: purpose === 'evaluation' ? 'eval' : 'calib', purpose, sampleCount: purpose === 'evaluation' && opts.evaluationFile ? 9000 : 1000, hasLabels: true, arrays: [], artifactId: dsArtifact.id },
      });
    }
    return { model, version };
  }

  async createRun(versionId: string, profiles: HardwareProfile[], recipes: RecipeDto[] | null = FAST_RECIPES) {
    const run = await this.db.pipelineRun.create({
      data: { versionId, trigger: 'manual', recipeOverrides: recipes ?? undefined, jobs: { create: profiles.map((p) => ({ profileId: p.id })) } },
      include: { jobs: { include: { profile: true } } },
    });
    return run;
  }

  async enqueue(prefix: string, runId: string, pipelineJobIds: string[], settings = { attempts: 3, backoffMs: 200 }, redisUrl = REDIS_URL): Promise<void> {
    const producer = new FlowProducer({ connection: redisConnection(redisUrl, 'producer'), prefix });
    try {
      await addPipelineFlow(producer, { runId, pipelineJobIds, prefix, settings });
    } finally {
      await producer.close();
    }
  }

  waitForRun(runId: string, statuses: string[], timeoutMs = 30_000) {
    return waitFor(`run ${runId} in ${statuses.join('|')}`, async () => {
      const run = await this.db.pipelineRun.findUnique({ where: { id: runId }, include: { jobs: { include: { profile: true } } } });
      return run && statuses.includes(run.status) ? run : null;
    }, timeoutMs);
  }

  /** Every key in artifact storage. */
  async storedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of this.storage.list()) keys.push(key);
    return keys.sort();
  }

  async tempFiles(): Promise<string[]> {
    try {
      return await fs.readdir(path.join(this.dataDir, 'tmp'), { recursive: true });
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.kill()));
    for (const prefix of this.prefixes) {
      const keys = await this.redis.keys(`${prefix}:*`);
      if (keys.length > 0) await this.redis.del(...keys);
    }
    await this.redis.quit();
    await this.db.$disconnect();
    await this.dropDatabase();
    await fs.rm(this.dataDir, { recursive: true, force: true });
  }
}
