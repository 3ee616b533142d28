import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeXhr } from '../test/fake-xhr';
import { jsonResponse } from '../test/factories';
import { ApiError, apiFetch, ClientErrorCode, onForbidden, onUnauthorized, parseApiError, uploadWithProgress, withQuery } from './client';

describe(parseApiError.name, () => {
  it("carries the API's code, message and request id", () => {
    const err = parseApiError(409, JSON.stringify({ statusCode: 409, error: 'model/name_taken', message: 'a model named "x" exists', requestId: 'r-1' }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'model/name_taken', message: 'a model named "x" exists', requestId: 'r-1' });
  });

  it('falls back to an http/<status> code for bodies that are not the API error shape', () => {
    expect(parseApiError(502, '<html>Bad Gateway</html>', 'Bad Gateway')).toMatchObject({ code: 'http/502', message: 'HTTP 502: Bad Gateway' });
    expect(parseApiError(500, '{"oops":1}')).toMatchObject({ code: 'http/500' });
    expect(parseApiError(503, '')).toMatchObject({ code: 'http/503', message: 'HTTP 503: request failed' });
  });
});

describe(withQuery.name, () => {
  it('skips empty values', () => {
    expect(withQuery('/api/models', { search: '', limit: 20, offset: 0, x: undefined })).toBe('/api/models?limit=20&offset=0');
    expect(withQuery('/api/models')).toBe('/api/models');
  });
});

describe(apiFetch.name, () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends JSON and parses the answer', async () => {
    const fetchMock = vi.fn(async () => jsonResponse({ id: 'm1' }, 201));
    vi.stubGlobal('fetch', fetchMock);
    await expect(apiFetch('/api/models', { method: 'POST', body: { name: 'x' } })).resolves.toEqual({ id: 'm1' });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/models');
    expect(init).toMatchObject({ method: 'POST', body: '{"name":"x"}' });
  });

  it('throws ApiError for error answers and network failures', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse({ statusCode: 404, error: 'model/not_found', message: 'no such model' }, 404)));
    await expect(apiFetch('/api/models/x')).rejects.toMatchObject({ name: 'ApiError', code: 'model/not_found', status: 404 });
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(apiFetch('/api/models')).rejects.toMatchObject({ code: ClientErrorCode.Network, status: 0 });
  });

  it('sends the session cookie, also to another origin', async () => {
    const fetchMock = vi.fn(async () => jsonResponse({}));
    vi.stubGlobal('fetch', fetchMock);
    await apiFetch('/api/models');
    expect((fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1].credentials).toBe('include');
  });

  it('reports a 401 to the session listeners, except from the auth endpoints', async () => {
    const seen: string[] = [];
    const off = onUnauthorized((err) => seen.push(err.code));
    try {
      vi.stubGlobal('fetch', vi.fn(async () => jsonResponse({ statusCode: 401, error: 'auth/session_expired', message: 'log in again' }, 401)));
      await expect(apiFetch('/api/models')).rejects.toMatchObject({ status: 401 });
      await expect(apiFetch('/api/auth/login', { method: 'POST', body: {} })).rejects.toMatchObject({ status: 401 });
      expect(seen).toEqual(['auth/session_expired']);
      vi.stubGlobal('fetch', vi.fn(async () => jsonResponse({ statusCode: 403, error: 'auth/forbidden', message: 'no' }, 403)));
      await expect(apiFetch('/api/rollouts', { method: 'POST' })).rejects.toMatchObject({ status: 403 });
      expect(seen).toHaveLength(1);
    } finally {
      off();
    }
  });

  it("reports a 403 auth/forbidden (the role may have changed), not other 403s", async () => {
    const seen: string[] = [];
    const off = onForbidden((err) => seen.push(err.code));
    try {
      vi.stubGlobal('fetch', vi.fn(async () => jsonResponse({ statusCode: 403, error: 'auth/forbidden', message: 'this needs the role admin' }, 403)));
      await expect(apiFetch('/api/users')).rejects.toMatchObject({ status: 403 });
      vi.stubGlobal('fetch', vi.fn(async () => jsonResponse({ statusCode: 403, error: 'device/forbidden', message: 'no' }, 403)));
      await expect(apiFetch('/api/x')).rejects.toMatchObject({ status: 403 });
      expect(seen).toEqual(['auth/forbidden']);
    } finally {
      off();
    }
  });

  it('reads Retry-After from a 429', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ statusCode: 429, error: 'request/rate_limited', message: 'slow down' }), { status: 429, headers: { 'retry-after': '42' } })),
    );
    await expect(apiFetch('/api/auth/login', { method: 'POST', body: {} })).rejects.toMatchObject({ status: 429, retryAfterS: 42 });
  });

  it('returns undefined for 204', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })));
    await expect(apiFetch('/api/models/x', { method: 'DELETE' })).resolves.toBeUndefined();
  });
});

describe(uploadWithProgress.name, () => {
  beforeEach(() => {
    FakeXhr.reset();
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('reports upload progress and resolves with the JSON body', async () => {
    const seen: (number | null)[] = [];
    const form = new FormData();
    const promise = uploadWithProgress<{ number: number }>('/api/models/m/versions', form, (p) => seen.push(p.fraction));
    const xhr = FakeXhr.last();
    expect(xhr).toMatchObject({ method: 'POST', url: '/api/models/m/versions', body: form });
    xhr.progress(25, 100);
    xhr.progress(100, 100);
    xhr.respond(201, { number: 3 });
    await expect(promise).resolves.toEqual({ number: 3 });
    expect(seen).toEqual([0.25, 1]);
  });

  it('sends credentials and reports a 401 like fetch does', async () => {
    const seen: number[] = [];
    const off = onUnauthorized((err) => seen.push(err.status));
    try {
      const p = uploadWithProgress('/api/models/m/versions', new FormData(), () => {});
      expect(FakeXhr.last().withCredentials).toBe(true);
      FakeXhr.last().respond(401, { statusCode: 401, error: 'auth/session_expired', message: 'log in again' });
      await expect(p).rejects.toMatchObject({ status: 401 });
      expect(seen).toEqual([401]);
    } finally {
      off();
    }
  });

  it("rejects with the API's error and on network failure", async () => {
    const p1 = uploadWithProgress('/api/x', new FormData(), () => {});
    FakeXhr.last().respond(413, { statusCode: 413, error: 'upload/too_large', message: 'over 512 MiB' });
    await expect(p1).rejects.toMatchObject({ code: 'upload/too_large', message: 'over 512 MiB' });
    const p2 = uploadWithProgress('/api/x', new FormData(), () => {});
    FakeXhr.last().onerror?.();
    await expect(p2).rejects.toMatchObject({ code: ClientErrorCode.Network });
  });

  it('aborts when the signal fires', async () => {
    const ctrl = new AbortController();
    const p = uploadWithProgress('/api/x', new FormData(), () => {}, ctrl.signal);
    ctrl.abort();
    await expect(p).rejects.toMatchObject({ code: ClientErrorCode.Aborted });
  });
});
