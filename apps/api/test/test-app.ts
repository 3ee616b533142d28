import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Role } from '@edgefleet/contracts';
import { createPrismaClient, DEFAULT_ORG_ID, type PrismaClient } from '@edgefleet/db';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import supertest from 'supertest';
import { inject } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { type AppConfig, loadConfig } from '../src/config/env.js';
import { createTestDatabase } from '@edgefleet/platform/testing';
import { isAudited } from '../src/auth/http-hardening.js';
import { hashPassword } from '../src/auth/passwords.js';
import { apiKeyDisplayPrefix, newApiKey, sha256 } from '../src/auth/tokens.js';

export type TestAgent = ReturnType<typeof supertest.agent>;

/** A password every test user gets unless a test names its own. */
export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestApp {
  app: INestApplication;
  /** Sends the default organisation's admin API key with every request (`Authorization: Bearer efk_…`). */
  http: TestAgent;
  /** No credentials at all. */
  anonymous: ReturnType<typeof supertest>;
  /** The admin API key `http` sends; also for socket.io (`auth: { token }`) and spawned clients. */
  apiKey: string;
  /** A client with a fresh API key of this role (in `orgId`, the default organisation unless given). */
  as(role: Role, orgId?: string): Promise<TestAgent & { key: string; keyId: string }>;
  /** A fresh API key of this role; returns the key and its id. */
  createApiKey(role: Role, orgId?: string): Promise<{ key: string; id: string }>;
  /** A second organisation (with its built-in hardware profiles copied), for cross-tenant tests. */
  createOrg(slug?: string): Promise<string>;
  /** A user with password TEST_PASSWORD (or the given one). */
  createUser(opts: {
    role: Role;
    email?: string;
    password?: string;
    orgId?: string;
  }): Promise<{ id: string; email: string; password: string }>;
  /**
   * Logs a (new, unless `email` names one) user in through `POST /api/auth/login` and returns the session cookie, e.g.
   * for a browser: `context.addCookies([{ name, value, url: base }])`, or supertest `.set('cookie', header)`.
   */
  login(opts?: { role?: Role; email?: string; password?: string }): Promise<{ name: string; value: string; header: string }>;
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
    // Enforced, as in production: `http` sends an admin API key, `anonymous` nothing, browser tests log in
    // (TestApp.login → context.addCookies). TEST_AUTH_REQUIRED=false runs the suites in the old open mode.
    AUTH_REQUIRED: process.env.TEST_AUTH_REQUIRED ?? 'true',
    ...env,
  });
  const { app } = await createApp(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  await app.init();
  const db = createPrismaClient({ databaseUrl: database.url, poolSize: 2 });
  const server = app.getHttpServer() as import('node:http').Server;
  let users = 0;
  // Every mutation a test performs must leave an audit row: counted here, checked in close().
  let audited = 0;
  server.prependListener('request', (req: import('node:http').IncomingMessage) => {
    if (isAudited(req.method ?? '', (req.url ?? '').split('?')[0]!)) audited++;
  });

  async function createApiKey(role: Role, orgId = DEFAULT_ORG_ID) {
    const key = newApiKey();
    const row = await db.apiKey.create({
      data: { orgId, name: `test ${role}`, role, prefix: apiKeyDisplayPrefix(key), keyHash: sha256(key) },
    });
    return { key, id: row.id };
  }
  async function createUser(opts: { role: Role; email?: string; password?: string; orgId?: string }) {
    const email = (opts.email ?? `user${++users}-${opts.role}@test.example`).toLowerCase();
    const password = opts.password ?? TEST_PASSWORD;
    const row = await db.user.create({
      data: { orgId: opts.orgId ?? DEFAULT_ORG_ID, email, role: opts.role, passwordHash: await hashPassword(password) },
    });
    return { id: row.id, email, password };
  }
  const admin = await createApiKey('admin');
  const agentWith = (key: string) => supertest.agent(server).set('authorization', `Bearer ${key}`);

  return {
    app,
    http: agentWith(admin.key),
    anonymous: supertest(server),
    apiKey: admin.key,
    createApiKey,
    async as(role, orgId) {
      const { key, id } = await createApiKey(role, orgId);
      return Object.assign(agentWith(key), { key, keyId: id });
    },
    async createOrg(slug = `org-${randomUUID().slice(0, 8)}`) {
      const org = await db.organization.create({ data: { slug, name: slug } });
      return org.id;
    },
    createUser,
    async login(opts = {}) {
      const user = opts.email
        ? { email: opts.email, password: opts.password ?? TEST_PASSWORD }
        : await createUser({ role: opts.role ?? 'admin' });
      const res = await supertest(server).post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200);
      const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0] ?? '';
      const [pair] = setCookie.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      return { name, value, header: `${name}=${value}` };
    },
    db,
    config,
    dataDir,
    storedFiles: () => listFiles(path.join(dataDir, 'artifacts')),
    tempFiles: () => listFiles(path.join(dataDir, 'tmp')),
    async close() {
      // The rows are written when each response ends; give the last ones a moment.
      const deadline = Date.now() + 5_000;
      let rows = await db.auditLog.count();
      while (rows < audited && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        rows = await db.auditLog.count();
      }
      await app.close();
      await db.$disconnect();
      await deleteQueueKeys(config.redisUrl, config.queue.prefix);
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
      if (rows < audited) throw new Error(`${audited} mutating requests reached the API but only ${rows} audit rows were written`);
    },
  };
}

export const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../shared/fixtures');
export const fixture = (...parts: string[]) => path.join(FIXTURES, ...parts);
