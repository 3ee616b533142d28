import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { createBrowserRouter, NavLink, Navigate, Outlet, type RouteObject, RouterProvider } from 'react-router';
import { shouldRetry } from './api/queries';
import { HealthBanner } from './components/health-banner';
import { ModelDetailPage } from './pages/model-detail-page';
import { ModelsPage } from './pages/models-page';
import { NotFoundPage } from './pages/not-found-page';
import { ProfilesPage } from './pages/profiles-page';

export function Layout() {
  return (
    <div className="app">
      <HealthBanner />
      <div className="layout">
        <aside className="sidebar">
          <div className="brand">edgefleet</div>
          <nav aria-label="main">
            <NavLink to="/models">Models</NavLink>
            <NavLink to="/profiles">Profiles</NavLink>
          </nav>
        </aside>
        <main className="content">
          <Outlet />
        </main>
      </div>
    </div>
  );
}

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/models" replace /> },
      { path: 'models', element: <ModelsPage /> },
      { path: 'models/:id', element: <ModelDetailPage /> },
      // Split out: recharts is most of the bundle and only this page draws a chart.
      { path: 'models/:id/versions/:v', lazy: async () => ({ Component: (await import('./pages/version-detail-page')).VersionDetailPage }) },
      { path: 'profiles', element: <ProfilesPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 5_000, refetchOnWindowFocus: true },
      mutations: { retry: false },
    },
  });
}

export function App() {
  const [queryClient] = useState(createQueryClient);
  const [router] = useState(() => createBrowserRouter(routes));
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
