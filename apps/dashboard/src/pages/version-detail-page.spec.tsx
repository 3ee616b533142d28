// @vitest-environment jsdom
import type { HardwareProfileDto } from '@edgefleet/contracts';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jobEvent, jsonResponse, newJob, newRun, newVariant } from '../test/factories';
import { fakeSockets as sockets } from '../test/fake-socket';
import { renderAt } from '../test/render';
import { VersionDetailPage } from './version-detail-page';

vi.mock('socket.io-client', async () => (await import('../test/fake-socket')).fakeSocketIo);

const MODEL = '11111111-1111-4111-8111-111111111111';
const profile = (slug: string): HardwareProfileDto => ({
  id: `p-${slug}`,
  slug,
  name: `${slug} board`,
  description: '',
  precisions: ['int8'],
  optimizationLevel: 'basic',
  threads: 1,
  maxModelBytes: null,
  maxLatencyMs: null,
  accuracyBudget: { maxDropPoints: 1 },
  objective: 'latency',
  builtin: true,
  createdAt: '',
  updatedAt: '',
});

describe(VersionDetailPage.name, () => {
  beforeEach(() => {
    sockets.length = 0;
    vi.stubGlobal(
      'ResizeObserver',
      class {
        observe() {}
        unobserve() {}
        disconnect() {}
      },
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows variants per profile, download links and live job progress, and cancels with confirmation', async () => {
    const best = newVariant({ slug: 'rpi4', recipe: 'int8-dyn', bytes: 250, top1: 0.9, recommended: true });
    const other = newVariant({ slug: 'rpi4', recipe: 'fp16', bytes: 500, top1: 0.92 });
    const job = newJob('jetson', { status: 'running', step: 'calibrate', progress: 0.2 });
    const run = newRun([job], { modelId: MODEL, status: 'running' });
    const posts: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
        const url = new URL(String(input), 'http://localhost');
        const p = url.pathname;
        if (init.method === 'POST') {
          posts.push(p);
          return jsonResponse({ ...run, status: 'cancelled' });
        }
        if (p === `/api/models/${MODEL}/versions/1`) return jsonResponse({ id: 'v-1', number: 1, semver: '1.0.0', artifact: { byteSize: 1000 }, inspection: { graphName: 'g' } });
        if (p.endsWith('/variants')) return jsonResponse([best, other]);
        if (p === '/api/profiles') return jsonResponse({ items: [profile('jetson'), profile('rpi4')], total: 2, limit: 200, offset: 0 });
        if (p.endsWith('/pipelines')) return jsonResponse({ items: [run], total: 1, limit: 10, offset: 0 });
        if (p === `/api/pipelines/${run.id}`) return jsonResponse(run);
        return jsonResponse({ statusCode: 404, error: 'request/not_found', message: p }, 404);
      }),
    );
    vi.stubGlobal('confirm', vi.fn(() => true));

    renderAt(<VersionDetailPage />, { path: `/models/${MODEL}/versions/1`, route: '/models/:id/versions/:v' });

    const rpi = (await screen.findByRole('heading', { name: /rpi4 board/ })).closest('.profile-group') as HTMLElement;
    const rows = within(rpi).getAllByRole('row').slice(1);
    expect(rows[0]!.textContent).toMatch(/★/);
    expect(rows[0]!.textContent).toMatch(/int8-dyn/);
    expect(rows[0]!.textContent).toMatch(/0\.25×/);
    expect(rows[0]!.textContent).toMatch(/90\.0%/);
    expect(within(rows[0]!).getByRole('link', { name: 'Download' }).getAttribute('href')).toBe(`/api/variants/${best.id}/download`);
    expect(within(rows[1]!).queryByText('★')).toBeNull();

    const bar = () => screen.getByRole('progressbar', { name: 'jetson progress' }).getAttribute('aria-valuenow');
    await waitFor(() => expect(bar()).toBe('20'));
    const socket = sockets[0]!;
    act(() => socket.connect());
    act(() => socket.serverEmit('pipeline.job', jobEvent(run, job, { step: 'quantize', progress: 0.65 })));
    await waitFor(() => expect(bar()).toBe('65'));
    expect(screen.getByTestId('job-jetson').textContent).toMatch(/quantize/);

    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(window.confirm).toHaveBeenCalled();
    await waitFor(() => expect(posts).toEqual([`/api/pipelines/${run.id}/cancel`]));
  });
});
