// @vitest-environment jsdom
import type { Role, SessionDto } from '@edgefleet/contracts';
import { QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiFetch } from '../api/client';
import { routes } from '../app';
import { jsonResponse, newModel } from '../test/factories';
import { testQueryClient } from '../test/render';

function session(role: Role, email = `${role}@example.com`): SessionDto {
  return {
    via: 'session',
    user: { id: '00000000-0000-4000-8000-0000000000aa', email, name: null, role, orgId: '00000000-0000-4000-8000-0000000000bb', disabled: false, lastLoginAt: null, createdAt: '2026-01-01T00:00:00Z' },
    org: { id: '00000000-0000-4000-8000-0000000000bb', name: 'acme' },
    role,
    expiresAt: null,
  };
}

const unauthenticated = () => jsonResponse({ statusCode: 401, error: 'auth/unauthenticated', message: 'log in' }, 401);
const emptyPage = () => jsonResponse({ items: [], total: 0, limit: 20, offset: 0 });

/** A fake API: `me` answers from `state.session`; the rest from `routes` or an empty page. */
function fakeApi(state: { session: SessionDto | null }, extra: Record<string, (init: RequestInit) => Response> = {}) {
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const key = `${init.method ?? 'GET'} ${url.pathname}`;
    if (extra[key]) return extra[key](init);
    if (url.pathname === '/api/health') return jsonResponse({ status: 'ok', checks: {} });
    if (url.pathname === '/api/auth/me') return state.session ? jsonResponse(state.session) : unauthenticated();
    if (!state.session) return unauthenticated();
    return emptyPage();
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

function renderApp(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  render(
    <QueryClientProvider client={testQueryClient()}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return router;
}

describe('accounts in the dashboard', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('sends an anonymous visitor to the login page and back where they were going', async () => {
    const state = { session: null as SessionDto | null };
    let tries = 0;
    fakeApi(state, {
      'POST /api/auth/login': (init) => {
        tries++;
        const body = JSON.parse(String(init.body)) as { password: string };
        if (tries === 2) return new Response(JSON.stringify({ statusCode: 429, error: 'request/rate_limited', message: 'slow down' }), { status: 429, headers: { 'retry-after': '42' } });
        if (body.password !== 'right password!') return jsonResponse({ statusCode: 401, error: 'auth/invalid_credentials', message: 'no' }, 401);
        state.session = session('operator', 'ops@example.com');
        return jsonResponse(state.session);
      },
    });
    const router = renderApp('/devices?status=online');
    await screen.findByRole('form', { name: 'log in' });
    expect(router.state.location.pathname).toBe('/login');
    expect(router.state.location.search).toBe('?next=%2Fdevices%3Fstatus%3Donline');
    expect(screen.queryByText(/session expired/)).toBeNull();

    const login = async (password: string) => {
      fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ops@example.com' } });
      fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
      fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    };
    await login('wrong');
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong email or password.');
    await login('wrong again');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/Too many attempts\. Try again in 4[12] s\./));
    expect((screen.getByRole('button', { name: 'Log in' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('logs in and lands on the page asked for, with the user and role in the top bar', async () => {
    const state = { session: null as SessionDto | null };
    fakeApi(state, {
      'POST /api/auth/login': () => {
        state.session = session('operator', 'ops@example.com');
        return jsonResponse(state.session);
      },
    });
    const router = renderApp('/rollouts');
    await screen.findByRole('form', { name: 'log in' });
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ops@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'right password!' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await screen.findByRole('heading', { name: 'Rollouts' });
    expect(router.state.location.pathname).toBe('/rollouts');
    expect(screen.getByTestId('user-email').textContent).toBe('ops@example.com');
    expect(screen.getByTestId('user-role').textContent).toBe('operator');
    // An operator may start rollouts, and has no admin section.
    expect(screen.getByRole('link', { name: 'New rollout' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Users' })).toBeNull();
  });

  it('sends the user to the login page with a message when the session expires, keeping the path', async () => {
    const state = { session: session('admin') as SessionDto | null };
    fakeApi(state);
    const router = renderApp('/models');
    await screen.findByRole('heading', { name: 'Models' });
    expect(screen.getByRole('link', { name: 'Audit log' })).toBeTruthy();
    state.session = null;
    await router.navigate('/devices');
    await screen.findByText(/Your session expired/);
    expect(router.state.location.pathname).toBe('/login');
    expect(new URLSearchParams(router.state.location.search).get('next')).toBe('/devices');
  });

  it('logs out to the plain login page even when a request in flight is refused meanwhile', async () => {
    const state = { session: session('admin') as SessionDto | null };
    let refuse: (() => void) | null = null;
    fakeApi(state, {
      'POST /api/auth/logout': () => {
        state.session = null;
        return new Response(null, { status: 204 });
      },
    });
    const router = renderApp('/models');
    await screen.findByRole('heading', { name: 'Models' });
    // A list refresh that the server answers only after the session is gone: 401.
    const inFlight = new Promise<void>((resolve) => (refuse = resolve)).then(() =>
      apiFetch('/api/models').catch(() => undefined),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Log out' }));
    await waitFor(() => expect(state.session).toBeNull());
    refuse!();
    await inFlight;
    await screen.findByRole('form', { name: 'log in' });
    expect(router.state.location.pathname).toBe('/login');
    expect(router.state.location.search).toBe('');
    expect(screen.queryByText(/Your session expired/)).toBeNull();
  });

  it('shows a viewer no write buttons, and an ml user models but not rollouts', async () => {
    const model = newModel({ name: 'net' });
    const state = { session: session('viewer') as SessionDto | null };
    fakeApi(state, { 'GET /api/models': () => jsonResponse({ items: [model], total: 1, limit: 20, offset: 0 }) });
    renderApp('/models');
    await screen.findByText('net');
    expect(screen.queryByRole('button', { name: 'New model' })).toBeNull();
    cleanup();

    state.session = session('ml');
    const router = renderApp('/models');
    await screen.findByText('net');
    expect(screen.getByRole('button', { name: 'New model' })).toBeTruthy();
    await router.navigate('/rollouts');
    await screen.findByRole('heading', { name: 'Rollouts' });
    expect(screen.queryByRole('link', { name: 'New rollout' })).toBeNull();
    await router.navigate('/users');
    await screen.findByRole('heading', { name: 'Not allowed' });
  });

  it('works against an API without accounts (no login, everything shown)', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) => {
        const url = new URL(String(input), 'http://localhost');
        if (url.pathname === '/api/auth/me') return jsonResponse({ statusCode: 404, error: 'http/404', message: 'Cannot GET /api/auth/me' }, 404);
        return emptyPage();
      }),
    );
    renderApp('/rollouts');
    await screen.findByRole('heading', { name: 'Rollouts' });
    expect(screen.getByRole('link', { name: 'New rollout' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Log out' })).toBeNull();
  });
});

describe('a role changed mid-session', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('asks who the user is again after a 403, and the buttons follow', async () => {
    const state = { session: session('operator') as SessionDto | null };
    fakeApi(state, {
      'POST /api/rollouts/r1/pause': () => {
        state.session = session('viewer');
        return jsonResponse({ statusCode: 403, error: 'auth/forbidden', message: 'this needs the role admin or operator' }, 403);
      },
    });
    renderApp('/rollouts');
    await screen.findByRole('link', { name: 'New rollout' });
    // Any call answered 403 auth/forbidden, here made directly through the client.
    await expect(apiFetch('/api/rollouts/r1/pause', { method: 'POST' })).rejects.toMatchObject({ status: 403 });
    await waitFor(() => expect(screen.queryByRole('link', { name: 'New rollout' })).toBeNull());
    expect(screen.getByTestId('user-role').textContent).toBe('viewer');
  });
});
