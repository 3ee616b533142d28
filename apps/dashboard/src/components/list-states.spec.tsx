// @vitest-environment jsdom
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ListStates } from './list-states';

/** A list whose source can be made to fail between refreshes, as the API does when it goes down. */
function Harness({ source }: { source: { fail: boolean } }) {
  const query = useQuery({
    queryKey: ['things'],
    queryFn: async () => {
      if (source.fail) throw new Error('API unreachable');
      return { items: ['cam-1', 'cam-2'] };
    },
    retry: false,
  });
  return (
    <>
      <button type="button" onClick={() => void query.refetch()}>
        refresh
      </button>
      <ListStates query={query} what="things" empty="nothing here">
        {(page) => (
          <ul aria-label="things">
            {page.items.map((t) => (
              <li key={t}>{t}</li>
            ))}
          </ul>
        )}
      </ListStates>
    </>
  );
}

const renderHarness = (source: { fail: boolean }) =>
  render(
    <QueryClientProvider client={new QueryClient()}>
      <Harness source={source} />
    </QueryClientProvider>,
  );

describe(ListStates.name, () => {
  afterEach(cleanup);

  it('keeps the last page on screen when a refresh fails, and says it is stale', async () => {
    const source = { fail: false };
    renderHarness(source);
    await screen.findByRole('list', { name: 'things' });
    expect(screen.queryByText(/Could not refresh/)).toBeNull();

    source.fail = true;
    fireEvent.click(screen.getByRole('button', { name: 'refresh' }));
    await screen.findByText(/Could not refresh \(API unreachable\); showing data from/);
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['cam-1', 'cam-2']);
    expect(screen.queryByRole('alert')).toBeNull();

    // Back: the note goes.
    source.fail = false;
    fireEvent.click(screen.getByRole('button', { name: 'refresh' }));
    await waitFor(() => expect(screen.queryByText(/Could not refresh/)).toBeNull());
  });

  it('shows the error with a retry when the first load fails', async () => {
    const source = { fail: true };
    renderHarness(source);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('API unreachable');
    source.fail = false;
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await screen.findByRole('list', { name: 'things' });
  });
});
