import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './test-app.js';

describe('platform endpoints', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp();
  });
  afterAll(() => sut?.close());

  it('reports Postgres and Redis as reachable', async () => {
    const res = await sut.http.get('/api/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks.postgres.ok).toBe(true);
    expect(res.body.checks.redis.ok).toBe(true);
  });

  it('echoes a caller-supplied request id and generates one otherwise', async () => {
    const given = await sut.http.get('/api/models').set('X-Request-Id', 'trace-abc.123');
    expect(given.headers['x-request-id']).toBe('trace-abc.123');
    const generated = await sut.http.get('/api/models');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const error = await sut.http.get('/api/models/00000000-0000-4000-8000-00000000dead').set('X-Request-Id', 'req-404');
    expect(error.body).toMatchObject({ statusCode: 404, error: 'model/not_found', requestId: 'req-404' });
  });

  it('serves Prometheus metrics including per-route HTTP timings', async () => {
    await sut.http.get('/api/models').expect(200);
    const res = await sut.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(/edgefleet_http_request_duration_seconds_count\{method="GET",route="\/api\/models",status="200"\} [1-9]/);
    expect(res.text).toContain('edgefleet_process_resident_memory_bytes');
  });

  it('publishes an OpenAPI document covering the registry', async () => {
    const res = await sut.http.get('/api/docs/openapi.json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/api/models', '/api/models/{id}', '/api/models/{id}/versions', '/api/models/{id}/datasets', '/api/health']),
    );
    expect(res.body.paths['/api/models'].post.requestBody.content['application/json'].schema.required).toContain('name');
    await sut.http.get('/api/docs').expect(200).expect('content-type', /html/);
  });

  it('publishes the artifact-signing public key', async () => {
    const res = await sut.http.get('/api/keys/artifact-signing').expect(200);
    expect(res.body.algorithm).toBe('ed25519');
    expect(res.body.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const again = await sut.http.get('/api/keys/artifact-signing').expect(200);
    expect(again.body).toEqual(res.body);
  });

  it('answers unknown routes with a coded 404', async () => {
    const res = await sut.http.get('/api/nope').expect(404);
    expect(res.body.error).toBe('request/not_found');
  });
});

describe('platform endpoints with Redis down', () => {
  let sut: TestApp;
  beforeAll(async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    sut = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(() => sut?.close());

  it('reports degraded health with 503 and names the failing dependency', async () => {
    const res = await sut.http.get('/api/health').expect(503);
    expect(res.body.status).toBe('degraded');
    expect(res.body.checks.postgres.ok).toBe(true);
    expect(res.body.checks.redis.ok).toBe(false);
    expect(res.body.checks.redis.error).toBeTruthy();
  });
});
