import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { createBrowserRouter, NavLink, Navigate, Outlet, type RouteObject, RouterProvider } from 'react-router';
import { shouldRetry } from './api/queries';
import { HealthBanner } from './components/health-banner';
import { DevicesPage } from './pages/devices-page';
import { ModelDetailPage } from './pages/model-detail-page';
import { ModelsPage } from './pages/models-page';
import { NotFoundPage } from './pages/not-found-page';
import { NewRolloutPage } from './pages/new-rollout-page';
import { ProfilesPage } from './pages/profiles-page';
import { RolloutDetailPage } from './pages/rollout-detail-page';
import { RolloutsPage } from './pages/rollouts-page';

export function Layout() {
  return (
    <div className="app">
      <HealthBanner />
      <div className="layout">
        <aside className="sidebar">
          <div className="brand">edgefleet</div>
          <nav aria-label="main">
            <NavLink to="/models">Models</NavLink>
            <NavLink to="/devices">Devices</NavLink>
            <NavLink to="/rollouts">Rollouts</NavLink>
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
      // Split out: recharts is most of the bundle and only the pages with charts need it.
      { path: 'models/:id/versions/:v', lazy: async () => ({ Component: (await import('./pages/version-detail-page')).VersionDetailPage }) },
      { path: 'models/:id/versions/:v/telemetry', lazy: async () => ({ Component: (await import('./pages/version-telemetry-page')).VersionTelemetryPage }) },
      { path: 'devices', element: <DevicesPage /> },
      { path: 'devices/:id', lazy: async () => ({ Component: (await import('./pages/device-detail-page')).DeviceDetailPage }) },
      { path: 'rollouts', element: <RolloutsPage /> },
      { path: 'rollouts/new', element: <NewRolloutPage /> },
      { path: 'rollouts/:id', element: <RolloutDetailPage /> },
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
