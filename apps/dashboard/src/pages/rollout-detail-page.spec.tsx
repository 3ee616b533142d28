// @vitest-environment jsdom
import type { RolloutDto } from '@edgefleet/contracts';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, newRollout, newRolloutEvent, rolloutCounts } from '../test/factories';
import { fakeSockets as sockets } from '../test/fake-socket';
import { renderAt } from '../test/render';
import { RolloutDetailPage } from './rollout-detail-page';

vi.mock('socket.io-client', async () => (await import('../test/fake-socket')).fakeSocketIo);

const page = <T,>(items: T[]) => ({ items, total: items.length, limit: 200, offset: 0 });

describe(RolloutDetailPage.name, () => {
  let rollout: RolloutDto;
  let events: ReturnType<typeof newRolloutEvent>[];
  let requests: { method: string; path: string; query: string; body?: unknown }[];

  beforeEach(() => {
    sockets.length = 0;
    requests = [];
    const bakeUntil = new Date(Date.now() + 125_000).toISOString();
    rollout = newRollout({
      counts: rolloutCounts({ running: 1, pending: 9 }),
      waves: [
        {
          index: 0,
          percent: 10,
          devices: 1,
          phase: 'baking',
          startedAt: '2026-01-01T00:00:00.000Z',
          switchedAt: '2026-01-01T00:01:00.000Z',
          bakeUntil,
          verdict: {
            verdict: 'inconclusive',
            at: '2026-01-01T00:02:00.000Z',
            gates: [
              { gate: 'errorRate', verdict: 'pass', observed: 0.01, baseline: 0.005, threshold: 0.025, samples: 120, reason: 'within limit' },
              { gate: 'latencyP95', verdict: 'inconclusive', observed: null, baseline: 12, threshold: 18, samples: 10, reason: 'too few requests (10 < 50)' },
            ],
          },
        },
        { index: 1, percent: 100, devices: 9, phase: 'pending', startedAt: null, switchedAt: null, bakeUntil: null, verdict: null },
      ],
    });
    events = [newRolloutEvent(1), newRolloutEvent(2, { kind: 'wave.started', from: null, to: 'shadow' })];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
        const url = new URL(String(input), 'http://localhost');
        const p = url.pathname;
        requests.push({ method: init.method ?? 'GET', path: p, query: url.search, body: init.body ? JSON.parse(String(init.body)) : undefined });
        if (init.method === 'POST' && p.endsWith('/pause')) {
          rollout = { ...rollout, status: 'paused', reason: (JSON.parse(String(init.body)) as { reason?: string }).reason ?? null };
          return jsonResponse(rollout);
        }
        if (p === `/api/rollouts/${rollout.id}`) return jsonResponse(rollout);
        if (p.endsWith('/devices')) return jsonResponse(page([]));
        if (p.endsWith('/events')) {
          const after = Number(url.searchParams.get('after') ?? 0);
          return jsonResponse(page(events.filter((e) => Number(e.id) > after)));
        }
        return jsonResponse({ statusCode: 404, error: 'request/not_found', message: p }, 404);
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  const render = () => renderAt(<RolloutDetailPage />, { path: `/rollouts/${rollout.id}`, route: '/rollouts/:id' });

  it('shows waves with the bake countdown and each gate against baseline and threshold', async () => {
    render();
    const wave = await screen.findByTestId('wave-0');
    expect(wave.textContent).toMatch(/baking/);
    expect(wave.textContent).toMatch(/2:0\d left/);
    const rows = within(wave).getAllByRole('row').slice(1);
    expect(rows[0]!.textContent).toMatch(/Error rate1\.00%0\.50%2\.50%120pass/);
    expect(rows[1]!.textContent).toMatch(/p95 latency–12\.0 ms18\.0 ms10inconclusive/);
    expect(rows[1]!.textContent).toMatch(/too few requests/);
    expect(screen.getByRole('img', { name: '1 running, 9 pending' })).toBeTruthy();
  });

  it('follows rollout.changed on its room and reads only new history', async () => {
    render();
    await waitFor(async () => expect((await screen.findByTestId('rollout-status')).textContent).toBe('running'));
    const history = await screen.findByRole('list', { name: 'history' });
    await waitFor(() => expect(within(history).getAllByRole('listitem')).toHaveLength(2));
    const socket = sockets[0]!;
    act(() => socket.connect());
    expect(socket.emitted.find((e) => e.event === 'subscribe')?.args[0]).toEqual({ rolloutId: rollout.id });

    rollout = { ...rollout, status: 'paused', reason: 'gate inconclusive for 30 min' };
    events.push(newRolloutEvent(3, { kind: 'paused', from: 'running', to: 'paused', reason: 'gate inconclusive for 30 min' }));
    requests.length = 0;
    act(() => socket.serverEmit('rollout.changed', { v: 1, rolloutId: rollout.id, status: 'paused', currentWave: 0, kind: 'paused', reason: rollout.reason, at: '' }));
    await waitFor(() => expect(screen.getByTestId('rollout-status').textContent).toBe('paused'));
    expect(screen.getByTestId('rollout-reason').textContent).toMatch(/inconclusive for 30 min/);
    await waitFor(() => expect(within(history).getAllByRole('listitem')).toHaveLength(3));
    // Newest first, fetched incrementally.
    expect(within(history).getAllByRole('listitem')[0]!.textContent).toMatch(/paused/);
    expect(requests.filter((r) => r.path.endsWith('/events')).map((r) => r.query)).toContain('?after=2&limit=200');
  });

  it('pauses after a confirmation that records the reason', async () => {
    render();
    fireEvent.click(await screen.findByRole('button', { name: 'Pause' }));
    const dialog = screen.getByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText(/Reason/), { target: { value: 'night shift' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(requests.find((r) => r.method === 'POST')).toMatchObject({ path: `/api/rollouts/${rollout.id}/pause`, body: { actor: 'dashboard', reason: 'night shift' } }));
    await screen.findByRole('button', { name: 'Resume' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('asks for a reason before aborting', async () => {
    render();
    fireEvent.click(await screen.findByRole('button', { name: 'Abort & roll back' }));
    const dialog = screen.getByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Abort & roll back' }));
    expect(within(dialog).getByText(/say why/)).toBeTruthy();
    expect(requests.some((r) => r.method === 'POST')).toBe(false);
  });
});
