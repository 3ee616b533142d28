import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ComponentType, useState } from 'react';
import { createBrowserRouter, NavLink, Navigate, Outlet, type RouteObject, RouterProvider } from 'react-router';
import { errorMessage } from './api/client';
import { shouldRetry } from './api/queries';
import { AuthProvider, RequireAuth, RequireRole, useAuth } from './auth/auth-context';
import { HealthBanner } from './components/health-banner';
import { LoginPage } from './pages/login-page';
import { DevicesPage } from './pages/devices-page';
import { ModelDetailPage } from './pages/model-detail-page';
import { ModelsPage } from './pages/models-page';
import { NotFoundPage } from './pages/not-found-page';
import { NewRolloutPage } from './pages/new-rollout-page';
import { ProfilesPage } from './pages/profiles-page';
import { RolloutDetailPage } from './pages/rollout-detail-page';
import { RolloutsPage } from './pages/rollouts-page';

/** Who is logged in, with their role, and the way out. Nothing when the API has no accounts. */
export function UserMenu() {
  const auth = useAuth();
  const [error, setError] = useState<string | null>(null);
  const s = auth.session;
  if (!s) return null;
  // No user behind a browser session: the API runs with AUTH_REQUIRED=false (development), nothing to log out of.
  const who = s.user?.email ?? (s.via === 'api_key' ? 'API key' : 'anonymous (authentication off)');
  return (
    <div className="user-menu" aria-label="account">
      <span className="user-email" data-testid="user-email">
        {who}
      </span>
      <span className={`role-badge role-${s.role}`} data-testid="user-role">
        {s.role}
      </span>
      {s.user && (
        <button type="button" onClick={() => auth.signOut().catch((err: unknown) => setError(errorMessage(err)))}>
          Log out
        </button>
      )}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

export function Layout() {
  const auth = useAuth();
  const admin = auth.can('user:manage') || auth.can('apikey:manage') || auth.can('audit:read');
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
            {admin && auth.status !== 'open' && (
              <>
                <span className="nav-section">Admin</span>
                {auth.can('user:manage') && <NavLink to="/users">Users</NavLink>}
                {auth.can('apikey:manage') && <NavLink to="/api-keys">API keys</NavLink>}
                {auth.can('audit:read') && <NavLink to="/audit">Audit log</NavLink>}
              </>
            )}
          </nav>
        </aside>
        <div className="main-col">
          <header className="topbar">
            <UserMenu />
          </header>
          <main className="content">
            <Outlet />
          </main>
        </div>
      </div>
    </div>
  );
}

function Root() {
  return (
    <AuthProvider>
      <Outlet />
    </AuthProvider>
  );
}

// Admin pages are lazy (few users open them) and show "not allowed" to roles that may not.
const adminPage = (action: 'user:manage' | 'apikey:manage' | 'audit:read', load: () => Promise<{ default: ComponentType }>): RouteObject['lazy'] => async () => {
  const Page = (await load()).default;
  return { Component: () => <RequireRole action={action}><Page /></RequireRole> };
};

export const appRoutes: RouteObject[] = [
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
      { path: 'rollouts/new', element: <RequireRole action="rollout:write"><NewRolloutPage /></RequireRole> },
      { path: 'rollouts/:id', element: <RolloutDetailPage /> },
      { path: 'profiles', element: <ProfilesPage /> },
      { path: 'users', lazy: adminPage('user:manage', async () => ({ default: (await import('./pages/users-page')).UsersPage })) },
      { path: 'api-keys', lazy: adminPage('apikey:manage', async () => ({ default: (await import('./pages/api-keys-page')).ApiKeysPage })) },
      { path: 'audit', lazy: adminPage('audit:read', async () => ({ default: (await import('./pages/audit-page')).AuditPage })) },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];

/** The login page outside the layout; everything else behind RequireAuth. */
export const routes: RouteObject[] = [
  {
    element: <Root />,
    children: [
      { path: '/login', element: <LoginPage /> },
      { element: <RequireAuth><Outlet /></RequireAuth>, children: appRoutes },
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
