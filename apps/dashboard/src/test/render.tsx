import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router';

export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } } });
}

/** Renders an element at `path` inside a memory router and a fresh query client. */
export function renderAt(element: ReactElement, { path = '/', route = '/', client = testQueryClient() } = {}) {
  const router = createMemoryRouter([{ path: route, element }], { initialEntries: [path] });
  return { client, ...render(<QueryClientProvider client={client}><RouterProvider router={router} /></QueryClientProvider>) };
}
