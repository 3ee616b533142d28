// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, newModel } from '../test/factories';
import { renderAt } from '../test/render';
import { ModelsPage } from './models-page';

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>;

function stubFetch(handler: Handler) {
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => handler(new URL(String(input), 'http://localhost'), init));
  vi.stubGlobal('fetch', fn);
  return fn;
}

describe(ModelsPage.name, () => {
  beforeEach(() => vi.useRealTimers());
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('renders a page of models with its range and pages forward', async () => {
    const all = Array.from({ length: 3 }, (_, i) => newModel({ name: `net-${i}` }));
    const fetchMock = stubFetch((url) => {
      const limit = Number(url.searchParams.get('limit'));
      const offset = Number(url.searchParams.get('offset'));
      return jsonResponse({ items: all.slice(offset, offset + limit), total: all.length, limit, offset });
    });
    renderAt(<ModelsPage pageSize={2} />, { path: '/models', route: '/models' });

    expect(screen.getByRole('status').textContent).toMatch(/Loading models/);
    expect(await screen.findByText('net-0')).toBeTruthy();
    expect(screen.getByText('net-1')).toBeTruthy();
    expect(screen.getByText('1–2 of 3')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: /Next/ }));
    expect(await screen.findByText('net-2')).toBeTruthy();
    expect(screen.getByText('3–3 of 3')).toBeTruthy();
    expect(fetchMock.mock.calls.some(([u]) => String(u).includes('offset=2'))).toBe(true);
  });

  it('shows the error state when the list fails', async () => {
    stubFetch(() => jsonResponse({ statusCode: 500, error: 'internal', message: 'database is on fire', requestId: 'r' }, 500));
    renderAt(<ModelsPage />, { path: '/models', route: '/models' });
    expect((await screen.findByRole('alert')).textContent).toMatch(/database is on fire/);
  });

  it("validates before sending, then shows the API's 409 message", async () => {
    const posts: unknown[] = [];
    stubFetch((url, init) => {
      if (init.method === 'POST') {
        posts.push(JSON.parse(String(init.body)));
        return jsonResponse({ statusCode: 409, error: 'model/name_taken', message: 'a model named "lenet" already exists', requestId: 'r-9' }, 409);
      }
      return jsonResponse({ items: [], total: 0, limit: 20, offset: 0 });
    });
    renderAt(<ModelsPage />, { path: '/models', route: '/models' });
    fireEvent.click(screen.getByRole('button', { name: 'New model' }));

    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: 'bad name' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create model' }));
    expect(await screen.findByText(/starting with a letter or digit/)).toBeTruthy();
    expect(posts).toHaveLength(0);

    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: 'lenet' } });
    fireEvent.change(screen.getByLabelText(/Labels/), { target: { value: 'cat, dog' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create model' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('a model named "lenet" already exists'));
    expect(posts).toEqual([{ name: 'lenet', task: 'image-classification', labels: ['cat', 'dog'] }]);
  });
});
