import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createToken, createVersion, enroll, type Enrolled } from './device-fixtures.js';
import { requestContext } from '../src/auth/request-context.js';
import { PrismaService } from '../src/database/prisma.service.js';
import { createTestApp, type TestAgent, type TestApp } from './test-app.js';

/**
 * Who may call what. Every route the app registers must be listed here: a new endpoint fails this test until it is
 * classified (and decorated; the guard denies routes without a rule).
 *   public   – anyone; device – the device API (device credentials only); read – any member;
 *   ml / operator / admin – that role (admins may do everything); metrics – admin or METRICS_TOKEN.
 */
type Access = 'public' | 'device' | 'read' | 'ml' | 'operator' | 'admin' | 'metrics';
const ACCESS: Record<string, Access> = {
  'GET /api/health': 'public',
  // The OpenAPI UI and document (Swagger's own Express routes): documentation only, no data.
  'GET /api/docs': 'read',
  'GET /api/docs/': 'read',
  'GET /api/docs/index.html': 'read',
  'GET /api/docs/LICENSE': 'read',
  'GET /api/docs/swagger-ui-init.js': 'read',
  'GET /api/docs/docs/swagger-ui-init.js': 'read',
  'GET /api/docs/openapi.json': 'read',
  'GET /api/docs-yaml': 'read',
  'GET /metrics': 'metrics',
  'GET /api/keys/artifact-signing': 'read',
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': 'read',
  'GET /api/auth/me': 'read',
  'GET /api/users': 'admin',
  'POST /api/users': 'admin',
  'GET /api/users/:id': 'admin',
  'PATCH /api/users/:id': 'admin',
  'DELETE /api/users/:id': 'admin',
  'GET /api/api-keys': 'admin',
  'POST /api/api-keys': 'admin',
  'POST /api/api-keys/:id/revoke': 'admin',
  'GET /api/audit': 'admin',
  'GET /api/artifacts/:id/download': 'read',
  'POST /api/models': 'ml',
  'GET /api/models': 'read',
  'GET /api/models/:id': 'read',
  'PATCH /api/models/:id': 'ml',
  'DELETE /api/models/:id': 'ml',
  'POST /api/models/:id/versions': 'ml',
  'GET /api/models/:id/versions': 'read',
  'GET /api/models/:id/versions/:v': 'read',
  'GET /api/models/:id/versions/:v/download': 'read',
  'POST /api/models/:id/datasets': 'ml',
  'GET /api/models/:id/datasets': 'read',
  'GET /api/models/:id/datasets/:datasetId': 'read',
  'DELETE /api/models/:id/datasets/:datasetId': 'ml',
  'POST /api/profiles': 'admin',
  'GET /api/profiles': 'read',
  'GET /api/profiles/:ref': 'read',
  'PATCH /api/profiles/:ref': 'admin',
  'DELETE /api/profiles/:ref': 'admin',
  'POST /api/models/:id/versions/:v/pipelines': 'ml',
  'GET /api/models/:id/versions/:v/pipelines': 'read',
  'GET /api/pipelines/:runId': 'read',
  'POST /api/pipelines/:runId/cancel': 'ml',
  'GET /api/models/:id/versions/:v/variants': 'read',
  'GET /api/variants/:id': 'read',
  'GET /api/variants/:id/download': 'read',
  'POST /api/enrollment-tokens': 'operator',
  'GET /api/enrollment-tokens': 'read',
  'DELETE /api/enrollment-tokens/:id': 'operator',
  'GET /api/devices': 'read',
  'GET /api/devices/:id': 'read',
  'PATCH /api/devices/:id': 'operator',
  'POST /api/devices/:id/revoke': 'operator',
  'PUT /api/devices/:id/assignment': 'operator',
  'DELETE /api/devices/:id/assignment': 'operator',
  'POST /api/assignments': 'operator',
  'GET /api/models/:id/versions/:v/telemetry': 'read',
  'GET /api/devices/:id/telemetry': 'read',
  'GET /api/devices/:id/history': 'read',
  'POST /api/rollouts': 'operator',
  'GET /api/rollouts': 'read',
  'GET /api/rollouts/:id': 'read',
  'GET /api/rollouts/:id/devices': 'read',
  'GET /api/rollouts/:id/events': 'read',
  'POST /api/rollouts/:id/pause': 'operator',
  'POST /api/rollouts/:id/resume': 'operator',
  'POST /api/rollouts/:id/abort': 'operator',
  'POST /api/rollouts/:id/rollback': 'operator',
  'POST /api/device/enroll': 'public',
  'GET /api/device/desired': 'device',
  'GET /api/device/artifacts/:variantId': 'device',
  'POST /api/device/heartbeat': 'device',
  'POST /api/device/telemetry': 'device',
  'POST /api/device/feedback': 'device',
  'POST /api/device/shadow': 'device',
  'GET /api/device/shadow/artifacts/:variantId': 'device',
};

const ROLES = ['viewer', 'ml', 'operator', 'admin'] as const;
const allows = (access: Access, role: (typeof ROLES)[number]) => access === 'read' || role === 'admin' || access === role;

interface Route {
  method: string;
  path: string;
}

/** Every route registered on the Express app (Nest's controllers), as "METHOD /path/:param". */
function routesOf(sut: TestApp): Route[] {
  const express = sut.app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  const routes: Route[] = [];
  for (const layer of express.router.stack) {
    // Routes answering every method are Nest's middleware mounts (MetricsMiddleware on the prefix-excluded /metrics).
    if (!layer.route || Object.keys(layer.route.methods).length > 20) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: layer.route.path });
    }
  }
  return routes;
}

/** Fills the params with ids nothing has: an allowed caller then gets a 4xx from the handler, never a side effect. */
const withUnknownIds = (path: string) =>
  path
    .replace(/:v\b/, '1')
    .replace(/:ref\b/, 'no-such-profile')
    .replace(/:[A-Za-z]+/g, () => randomUUID());

function send(agent: TestAgent, route: Route, url: string, auth?: string) {
  const req = (agent as unknown as Record<string, (url: string) => import('supertest').Test>)[route.method.toLowerCase()]!(url);
  if (auth) req.set('authorization', auth);
  return route.method === 'GET' || route.method === 'HEAD' || route.method === 'DELETE' ? req : req.send({});
}

describe('authorization matrix', () => {
  let sut: TestApp;
  let otherOrg: string;
  let clients: Record<(typeof ROLES)[number] | 'otherAdmin' | 'revoked', TestAgent>;
  let device: Enrolled;

  beforeAll(async () => {
    sut = await createTestApp({ AUTH_REQUIRED: 'true', AUTO_PIPELINES: 'false', METRICS_TOKEN: 'metrics-token-0123456789' });
    otherOrg = await sut.createOrg();
    const revoked = await sut.as('admin');
    await sut.http.post(`/api/api-keys/${revoked.keyId}/revoke`).expect(200);
    clients = {
      viewer: await sut.as('viewer'),
      ml: await sut.as('ml'),
      operator: await sut.as('operator'),
      admin: await sut.as('admin'),
      otherAdmin: await sut.as('admin', otherOrg),
      revoked,
    };
    device = await enroll(sut, (await createToken(sut)).token);
  });

  afterAll(() => sut?.close());

  it('classifies every registered route (a new endpoint must be added to ACCESS)', () => {
    const found = routesOf(sut).map((r) => `${r.method} ${r.path}`);
    expect(found.length).toBeGreaterThan(60);
    expect(found.filter((r) => !(r in ACCESS))).toEqual([]);
    expect(Object.keys(ACCESS).filter((r) => !found.includes(r))).toEqual([]);
  });

  let current = '';
  it('answers every route × caller as the role table says', async () => {
    onTestFailed(() => console.error(`while checking ${current}`));
    const failures: string[] = [];
    const check = (what: string, status: number, ok: (s: number) => boolean, want: string) => {
      if (!ok(status)) failures.push(`${what}: got ${status}, want ${want}`);
    };
    for (const route of routesOf(sut)) {
      current = `${route.method} ${route.path}`;
      const access = ACCESS[`${route.method} ${route.path}`]!;
      const url = withUnknownIds(route.path);
      const name = `${route.method} ${route.path}`;
      const anonymous = sut.anonymous as unknown as TestAgent;
      const anon = await send(anonymous, route, url);
      if (access === 'public') check(`${name} anonymous`, anon.status, (s) => s !== 401 && s !== 403 && s < 500, 'not 401/403');
      else check(`${name} anonymous`, anon.status, (s) => s === 401, '401');

      for (const role of ROLES) {
        const res = await send(clients[role], route, url);
        if (access === 'device') check(`${name} ${role} key`, res.status, (s) => s === 401, '401 (user credentials on the device API)');
        else if (access === 'public' || (access === 'metrics' ? role === 'admin' : allows(access, role)))
          check(`${name} ${role}`, res.status, (s) => s !== 401 && s !== 403 && s < 500, 'allowed');
        else check(`${name} ${role}`, res.status, (s) => s === 403, '403');
      }

      const revoked = await send(clients.revoked, route, url);
      if (access !== 'public') check(`${name} revoked key`, revoked.status, (s) => s === 401, '401');

      const asDevice = await send(anonymous, route, url, device.auth);
      // 403 device/forbidden: authenticated, but the variant is not the one assigned to this device (the device API's own rule).
      if (access === 'device')
        check(
          `${name} device`,
          asDevice.status,
          (s) => s !== 401 && (s !== 403 || asDevice.body.error === 'device/forbidden') && s < 500,
          'allowed',
        );
      else if (access !== 'public') check(`${name} device`, asDevice.status, (s) => s === 401, '401 (device credentials on a user route)');
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("answers another organisation's resources with 404, as if they did not exist", async () => {
    const { modelId } = await createVersion(sut, 'tenant-probe');
    const token = await createToken(sut, { name: 'tenant-probe' });
    const user = await sut.createUser({ role: 'viewer' });
    const key = await sut.createApiKey('viewer');
    const profileId = (await sut.http.get('/api/profiles').expect(200)).body.items[0].id as string;
    const other = clients.otherAdmin;
    const probes: [string, string, object?][] = [
      ['get', `/api/models/${modelId}`],
      ['patch', `/api/models/${modelId}`, { description: 'x' }],
      ['delete', `/api/models/${modelId}`],
      ['get', `/api/models/${modelId}/versions`],
      ['get', `/api/models/${modelId}/versions/1`],
      ['get', `/api/models/${modelId}/versions/1/download`],
      ['get', `/api/models/${modelId}/datasets`],
      ['get', `/api/models/${modelId}/versions/1/variants`],
      ['post', `/api/models/${modelId}/versions/1/pipelines`, {}],
      ['get', `/api/devices/${device.deviceId}`],
      ['patch', `/api/devices/${device.deviceId}`, { name: 'stolen' }],
      ['post', `/api/devices/${device.deviceId}/revoke`],
      ['put', `/api/devices/${device.deviceId}/assignment`, { modelId, version: 1 }],
      ['delete', `/api/enrollment-tokens/${token.id}`],
      ['get', `/api/profiles/${profileId}`],
      ['patch', `/api/profiles/${profileId}`, { name: 'stolen' }],
      ['get', `/api/users/${user.id}`],
      ['patch', `/api/users/${user.id}`, { role: 'admin' }],
      ['post', `/api/api-keys/${key.id}/revoke`],
    ];
    for (const [method, url, body] of probes) {
      const req = (other as unknown as Record<string, (u: string) => import('supertest').Test>)[method]!(url);
      const res = await (body ? req.send(body) : req);
      expect.soft(res.status, `${method} ${url}`).toBe(404);
    }
    // Lists do not show them either, and nothing was changed.
    expect((await other.get('/api/models').expect(200)).body.total).toBe(0);
    expect((await other.get('/api/devices').expect(200)).body.total).toBe(0);
    expect((await other.get('/api/users').expect(200)).body.items).toEqual([]);
    expect((await sut.http.get(`/api/devices/${device.deviceId}`).expect(200)).body.status).not.toBe('revoked');
    expect((await sut.db.apiKey.findUniqueOrThrow({ where: { id: key.id } })).revokedAt).toBeNull();
    expect((await sut.db.user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe('viewer');
    // The other organisation's own data works as usual.
    const own = (await other.post('/api/models').send({ name: 'tenant-probe', task: 'image-classification' }).expect(201)).body;
    expect((await sut.db.model.findUniqueOrThrow({ where: { id: own.id } })).orgId).toBe(otherOrg);
    expect((await clients.admin.get(`/api/models/${own.id}`)).status).toBe(404);
  });

  it('scopes queries at the data-access layer even when a query names no organisation', async () => {
    const { modelId, versionId } = await createVersion(sut, 'scope-probe');
    const prisma = sut.app.get(PrismaService).db;
    const principal = {
      kind: 'api_key' as const,
      orgId: otherOrg,
      role: 'admin' as const,
      userId: null,
      apiKeyId: null,
      label: 't',
      sessionId: null,
      expiresAt: null,
    };
    await requestContext.run({ orgId: otherOrg, principal }, async () => {
      expect(await prisma.model.findUnique({ where: { id: modelId } })).toBeNull();
      expect(await prisma.modelVersion.findUnique({ where: { id: versionId } })).toBeNull();
      expect(await prisma.modelVersion.count({ where: { modelId } })).toBe(0);
      expect(await prisma.device.count()).toBe(0);
      await expect(prisma.model.update({ where: { id: modelId }, data: { description: 'x' } })).rejects.toMatchObject({ code: 'P2025' });
      expect((await prisma.model.deleteMany({ where: { id: modelId } })).count).toBe(0);
      await expect(prisma.model.create({ data: { orgId: DEFAULT_ORG_ID, name: 'planted', task: 't' } })).rejects.toMatchObject({
        code: 'request/not_found',
      });
    });
    // Outside a request nothing is filtered (start-up, background work).
    expect(await prisma.model.findUnique({ where: { id: modelId } })).not.toBeNull();
  });

  it('an ml API key cannot start a rollout', async () => {
    const res = await clients.ml.post('/api/rollouts').send({ modelId: randomUUID(), version: 1 }).expect(403);
    expect(res.body.error).toBe('auth/forbidden');
  });

  it('protects Bull Board (admins only) and /metrics (admin or METRICS_TOKEN)', async () => {
    expect((await sut.anonymous.get('/admin/queues')).status).toBe(401);
    expect((await clients.viewer.get('/admin/queues')).status).toBe(403);
    expect((await clients.admin.get('/admin/queues')).status).toBe(200);
    expect((await sut.anonymous.get('/metrics')).status).toBe(401);
    expect((await sut.anonymous.get('/metrics').set('authorization', 'Bearer metrics-token-0123456789')).status).toBe(200);
    expect((await clients.operator.get('/metrics')).status).toBe(403);
  });

  it('authenticates socket.io /events handshakes', async () => {
    await sut.app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(sut.app.getHttpServer().address() as AddressInfo).port}/events`;
    const connect = (auth?: object) =>
      new Promise<string>((resolve) => {
        const s = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, ...(auth && { auth }) });
        s.once('connect', () => (s.disconnect(), resolve('connected')));
        s.once('connect_error', (err: Error & { data?: { code?: string } }) => (s.disconnect(), resolve(err.data?.code ?? 'error')));
      });
    expect(await connect()).toBe('auth/unauthenticated');
    expect(await connect({ token: `${device.deviceId}.${device.secret}` })).toBe('auth/unauthenticated');
    expect(await connect({ token: (clients.revoked as unknown as { key: string }).key })).toBe('auth/api_key_revoked');
    expect(await connect({ token: (clients.viewer as unknown as { key: string }).key })).toBe('connected');
    const { header } = await sut.login({ role: 'viewer' });
    const withCookie = await new Promise<string>((resolve) => {
      const s = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { cookie: header } });
      s.once('connect', () => (s.disconnect(), resolve('connected')));
      s.once('connect_error', () => (s.disconnect(), resolve('error')));
    });
    expect(withCookie).toBe('connected');
  });
});
