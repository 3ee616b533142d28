import { SESSION_COOKIE } from '@edgefleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_PASSWORD, type TestApp } from './test-app.js';

describe('accounts: sessions, API keys, throttling, audit', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({ AUTH_REQUIRED: 'true', AUTO_PIPELINES: 'false', RATE_LIMIT_LOGIN: '5', RATE_LIMIT_ENROLL: '3' });
  });

  afterAll(() => sut?.close());

  it('logs in with an HTTP-only SameSite=Strict cookie, answers /me, and logs out', async () => {
    const user = await sut.createUser({ role: 'operator', email: 'Op@Example.com' });
    const res = await sut.anonymous.post('/api/auth/login').send({ email: 'op@example.com', password: TEST_PASSWORD }).expect(200);
    expect(res.body).toMatchObject({
      via: 'session',
      role: 'operator',
      user: { id: user.id, email: 'op@example.com' },
      org: { id: expect.any(String) },
    });
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=efs_`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const header = cookie.split(';')[0]!;
    expect((await sut.anonymous.get('/api/auth/me').set('cookie', header).expect(200)).body.role).toBe('operator');
    // The table keeps only a hash of the token.
    const token = header.split('=')[1]!;
    const rows = await sut.db.session.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).not.toContain(token);
    // An operator may create enrollment tokens, not models.
    await sut.anonymous.post('/api/enrollment-tokens').set('cookie', header).send({ name: 'x' }).expect(201);
    await sut.anonymous.post('/api/models').set('cookie', header).send({ name: 'm', task: 'image-classification' }).expect(403);
    await sut.anonymous.post('/api/auth/logout').set('cookie', header).expect(204);
    expect((await sut.anonymous.get('/api/auth/me').set('cookie', header).expect(401)).body.error).toBe('auth/session_expired');
  });

  it('rejects cookie-authenticated writes from another origin (CSRF)', async () => {
    const { header } = await sut.login({ role: 'admin' });
    const res = await sut.anonymous
      .post('/api/enrollment-tokens')
      .set('cookie', header)
      .set('origin', 'https://evil.example')
      .send({ name: 'x' })
      .expect(403);
    expect(res.body.error).toBe('auth/csrf_rejected');
    await sut.anonymous
      .post('/api/enrollment-tokens')
      .set('cookie', header)
      .set('sec-fetch-site', 'cross-site')
      .send({ name: 'x' })
      .expect(403);
    // Reads are fine, and so is the same origin.
    await sut.anonymous.get('/api/models').set('cookie', header).set('origin', 'https://evil.example').expect(200);
    await sut.anonymous
      .post('/api/enrollment-tokens')
      .set('cookie', header)
      .set('host', 'dash.local')
      .set('origin', 'http://dash.local')
      .send({ name: 'x' })
      .expect(201);
  });

  it('answers wrong passwords and unknown accounts alike, then throttles with 429 and Retry-After', async () => {
    const user = await sut.createUser({ role: 'viewer' });
    const wrong = await sut.anonymous.post('/api/auth/login').send({ email: user.email, password: 'not the password' }).expect(401);
    const unknown = await sut.anonymous
      .post('/api/auth/login')
      .send({ email: 'nobody@example.com', password: 'not the password' })
      .expect(401);
    expect(wrong.body.error).toBe('auth/invalid_credentials');
    expect(unknown.body.error).toBe(wrong.body.error);
    for (let i = 0; i < 4; i++)
      await sut.anonymous
        .post('/api/auth/login')
        .send({ email: user.email, password: `guess ${i}` })
        .expect(401);
    const throttled = await sut.anonymous.post('/api/auth/login').send({ email: user.email, password: user.password }).expect(429);
    expect(throttled.body.error).toBe('request/rate_limited');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('throttles enrollment per IP', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await sut.anonymous.post('/api/device/enroll').send({ token: 'eft_nope', facts: {} })).status);
    expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });

  it('API keys: shown once, stored hashed, scoped to a role, revocable, lastUsedAt recorded', async () => {
    const created = (await sut.http.post('/api/api-keys').send({ name: 'ci', role: 'ml' }).expect(201)).body;
    expect(created.key).toMatch(/^efk_/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const listed = (await sut.http.get('/api/api-keys').expect(200)).body.items.find((k: { id: string }) => k.id === created.id);
    expect(listed).not.toHaveProperty('key');
    const row = await sut.db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.keyHash).not.toContain(created.key);
    const ml = { authorization: `Bearer ${created.key}` };
    const model = (await sut.anonymous.post('/api/models').set(ml).send({ name: 'by-ci', task: 'image-classification' }).expect(201)).body;
    await sut.anonymous.post('/api/enrollment-tokens').set(ml).send({ name: 'x' }).expect(403);
    await sut.anonymous.post('/api/rollouts').set(ml).send({ modelId: model.id, version: 1 }).expect(403);
    expect((await sut.db.apiKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).not.toBeNull();
    await sut.http.post(`/api/api-keys/${created.id}/revoke`).expect(200);
    expect((await sut.anonymous.get('/api/models').set(ml).expect(401)).body.error).toBe('auth/api_key_revoked');
  });

  it('users: admins create, change and disable them; the last admin stays', async () => {
    const created = (
      await sut.http.post('/api/users').send({ email: 'New@Example.com', password: 'long enough password', role: 'viewer' }).expect(201)
    ).body;
    expect(created).toMatchObject({ email: 'new@example.com', role: 'viewer', disabled: false });
    expect(created).not.toHaveProperty('passwordHash');
    await sut.http.post('/api/users').send({ email: 'new@example.com', password: 'long enough password', role: 'viewer' }).expect(409);
    const { header } = await sut.login({ email: 'new@example.com', password: 'long enough password' });
    await sut.http.patch(`/api/users/${created.id}`).send({ role: 'ml' }).expect(200);
    // A role change ends the user's sessions.
    await sut.anonymous.get('/api/auth/me').set('cookie', header).expect(401);
    await sut.http.patch(`/api/users/${created.id}`).send({ disabled: true }).expect(200);
    await sut.anonymous.post('/api/auth/login').send({ email: 'new@example.com', password: 'long enough password' }).expect(401);
    const admins = (await sut.http.get('/api/users?limit=200').expect(200)).body.items.filter((u: { role: string }) => u.role === 'admin');
    for (const a of admins) await sut.http.delete(`/api/users/${a.id}`).expect((r) => expect([204, 409]).toContain(r.status));
    expect((await sut.db.user.count({ where: { role: 'admin', disabledAt: null } })) >= 1).toBe(true);
  });

  it('writes an audit row for every mutation, allowed or not, and only admins read them', async () => {
    const ml = await sut.as('ml');
    const viewer = await sut.as('viewer');
    const model = (await ml.post('/api/models').send({ name: 'audited', task: 'image-classification' }).expect(201)).body;
    await viewer.delete(`/api/models/${model.id}`).expect(403);
    await sut.anonymous.post('/api/models').send({ name: 'anon', task: 'image-classification' }).expect(401);
    await ml.patch(`/api/models/${model.id}`).send({ description: 'changed' }).expect(200);
    await expect.poll(async () => (await sut.http.get(`/api/audit?targetId=${model.id}`).expect(200)).body.items.length).toBe(3);
    const entries = (await sut.http.get(`/api/audit?targetId=${model.id}`).expect(200)).body.items;
    expect(
      entries.map((e: { action: string; result: string; role: string; actorType: string }) => [e.action, e.result, e.role, e.actorType]),
    ).toEqual([
      ['PATCH /api/models/:id', 'success', 'ml', 'api_key'],
      ['DELETE /api/models/:id', 'denied', 'viewer', 'api_key'],
      ['POST /api/models', 'success', 'ml', 'api_key'],
    ]);
    expect(entries[2]).toMatchObject({
      actorId: ml.keyId,
      targetType: 'models',
      status: 201,
      ip: expect.any(String),
      requestId: expect.any(String),
    });
    const denied = (await sut.db.auditLog.findMany({ where: { actorType: 'anonymous', action: 'POST /api/models' } }))[0];
    expect(denied).toMatchObject({ status: 401, result: 'denied', orgId: null });
    // Failed logins are there, with the email tried.
    expect(await sut.db.auditLog.count({ where: { action: 'POST /api/auth/login', result: 'denied' } })).toBeGreaterThan(0);
    await viewer.get('/api/audit').expect(403);
    // Another organisation's admin sees none of it.
    const other = await sut.as('admin', await sut.createOrg());
    expect((await other.get('/api/audit').expect(200)).body.total).toBe(0);
  });

  it('keeps the audit log append-only in Postgres', async () => {
    await expect(sut.db.$executeRawUnsafe('UPDATE audit_log SET status = 200')).rejects.toThrow(/append-only/);
    await expect(sut.db.$executeRawUnsafe('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(sut.db.$executeRawUnsafe('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
  });

  it('sends security headers and no CORS headers for unknown origins', async () => {
    const res = await sut.anonymous.get('/api/health').set('origin', 'https://evil.example');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('accounts: configuration', () => {
  it('creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD, allows CORS_ORIGINS, and AUTH_REQUIRED=false keeps the old open mode', async () => {
    const sut = await createTestApp({
      ADMIN_EMAIL: 'Root@Example.com',
      ADMIN_PASSWORD: 'first admin password',
      CORS_ORIGINS: 'https://dash.example',
      AUTH_REQUIRED: 'false',
      COOKIE_SECURE: 'true',
    });
    try {
      expect(await sut.db.user.findUnique({ where: { email: 'root@example.com' } })).toMatchObject({ role: 'admin' });
      const login = await sut.anonymous
        .post('/api/auth/login')
        .send({ email: 'root@example.com', password: 'first admin password' })
        .expect(200);
      expect(String(login.headers['set-cookie'])).toContain('Secure');
      expect(login.headers['strict-transport-security']).toContain('max-age=');
      const cors = await sut.anonymous
        .options('/api/models')
        .set('origin', 'https://dash.example')
        .set('access-control-request-method', 'POST');
      expect(cors.headers['access-control-allow-origin']).toBe('https://dash.example');
      expect(cors.headers['access-control-allow-credentials']).toBe('true');
      // Open mode: no credentials act as the default organisation's admin; bad credentials are still refused.
      await sut.anonymous.post('/api/models').send({ name: 'open', task: 'image-classification' }).expect(201);
      await sut.anonymous.get('/api/models').set('authorization', 'Bearer efk_wrong').expect(401);
    } finally {
      await sut.close();
    }
  });
});
