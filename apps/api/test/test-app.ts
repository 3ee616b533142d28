import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createPrismaClient, type PrismaClient } from '@edgefleet/db';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import supertest from 'supertest';
import { inject } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { type AppConfig, loadConfig } from '../src/config/env.js';
import { createTestDatabase } from '@edgefleet/platform/testing';

export interface TestApp {
  app: INestApplication;
  http: ReturnType<typeof supertest>;
  /** A second client on the same database, for asserting on rows directly. */
  db: PrismaClient;
  config: AppConfig;
  dataDir: string;
  /** Every file under DATA_DIR/artifacts, relative to it. */
  storedFiles(): Promise<string[]>;
  /** Every file under DATA_DIR/tmp (upload temp files). */
  tempFiles(): Promise<string[]>;
  close(): Promise<void>;
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Removes what the app's queues left in Redis; best effort, Redis may be the thing a test took away. */
async function deleteQueueKeys(redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.del(...keys);
    }
  } catch {
    // unreachable Redis: nothing was stored there either
  } finally {
    redis.disconnect();
  }
}

/** Boots the real app on its own database and data directory; no service is mocked. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase(inject('templateDatabase'));
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    // A prefix of its own per app, so no worker (and no other test file) consumes the jobs it enqueues.
    QUEUE_PREFIX: `test-${randomUUID()}`,
    ...env,
  });
  const { app } = await createApp(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  await app.init();
  const db = createPrismaClient({ databaseUrl: database.url, poolSize: 2 });
  return {
    app,
    http: supertest(app.getHttpServer()),
    db,
    config,
    dataDir,
    storedFiles: () => listFiles(path.join(dataDir, 'artifacts')),
    tempFiles: () => listFiles(path.join(dataDir, 'tmp')),
    async close() {
      await app.close();
      await db.$disconnect();
      await deleteQueueKeys(config.redisUrl, config.queue.prefix);
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../shared/fixtures');
export const fixture = (...parts: string[]) => path.join(FIXTURES, ...parts);
