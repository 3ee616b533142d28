import type { LoginRequest, Role, SessionDto } from '@edgefleet/contracts';
import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { authKeys, fetchMe, login, logout, type Me } from '../api/auth';
import { ApiError, onForbidden, onUnauthorized } from '../api/client';
import { saveDrafts } from '../lib/drafts';
import { shouldRetry } from '../api/queries';
import { ErrorBox, Loading } from '../components/status';
import { loginPath } from '../lib/login-redirect';
import { type Action, can } from '../lib/permissions';

export type AuthStatus = 'loading' | 'error' | 'anonymous' | 'authenticated' | 'open';

export interface AuthValue {
  status: AuthStatus;
  session: SessionDto | null;
  /** The caller's role; `admin` when the API has no accounts ('open'), since it then allows everything. */
  role: Role | null;
  /** The session ended under the user (a 401 from the API), as opposed to never having logged in or logging out. */
  expired: boolean;
  /** The user logged out here: the login page they land on has nothing to come back to. */
  signedOut: boolean;
  error: unknown;
  can: (action: Action) => boolean;
  signIn: (body: LoginRequest) => Promise<SessionDto>;
  signOut: () => Promise<void>;
  retry: () => void;
}

/** Outside an AuthProvider (component tests), everything is allowed, as against an API without accounts. */
const OPEN: AuthValue = {
  status: 'open',
  session: null,
  role: 'admin',
  expired: false,
  signedOut: false,
  error: null,
  can: () => true,
  signIn: () => Promise.reject(new Error('no AuthProvider')),
  signOut: async () => {},
  retry: () => {},
};

const AuthContext = createContext<AuthValue>(OPEN);

export function useAuth(): AuthValue {
  return useContext(AuthContext);
}

/**
 * The name the API records as who did something (rollout `createdBy` and `actor`, pipeline `requestedBy`): the user's
 * email, or 'dashboard' when nobody is logged in (an API without accounts, or AUTH_REQUIRED=false).
 */
export function useActorName(): string {
  return useAuth().session?.user?.email ?? 'dashboard';
}

/** `useCan('rollout:write')`: whether the current user may do it (hides buttons that would get a 403). */
export function useCan(action: Action): boolean {
  return useAuth().can(action);
}

/** Drops every cached answer but the `me` query, which the provider keeps observing (clear() would orphan it). */
function forgetAllButMe(qc: QueryClient): void {
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== authKeys.me[0] });
}

function statusOf(data: Me | undefined, isError: boolean): AuthStatus {
  if (data === undefined) return isError ? 'error' : 'loading';
  if (data === 'open') return 'open';
  return data ? 'authenticated' : 'anonymous';
}

/**
 * Who is logged in, from `GET /api/auth/me`. Any 401 from another API call means the session ended (expired,
 * revoked, user disabled): the cached answer becomes "anonymous" and RequireAuth sends the user to the login page,
 * keeping the path they were on.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [expired, setExpired] = useState(false);
  const [signedOut, setSignedOut] = useState(false);
  // While logging out, the 401s of requests still in flight are the logout itself, not an expired session.
  const signingOut = useRef(false);
  const me = useQuery({
    queryKey: authKeys.me,
    queryFn: ({ signal }) => fetchMe(signal),
    retry: shouldRetry,
    staleTime: 60_000,
    // Coming back to the tab after lunch: find out at once whether the session is still there.
    refetchOnWindowFocus: true,
  });

  // A session that turns into "not logged in" on a refetch has expired.
  const previous = useRef<Me | undefined>(undefined);
  useEffect(() => {
    if (previous.current && previous.current !== 'open' && me.data === null && !signingOut.current) setExpired(true);
    previous.current = me.data;
  }, [me.data]);

  useEffect(
    () =>
      onUnauthorized(() => {
        if (signingOut.current) return;
        const current = qc.getQueryData<Me>(authKeys.me);
        if (current === 'open') {
          // The API started enforcing accounts under a page loaded before: ask it again.
          void qc.invalidateQueries({ queryKey: authKeys.me });
          return;
        }
        if (current) {
          // Before the pages unmount: forms get their input back after the login.
          saveDrafts();
          setExpired(true);
        }
        qc.setQueryData<Me>(authKeys.me, null);
      }),
    [qc],
  );

  useEffect(() => onForbidden(() => void qc.invalidateQueries({ queryKey: authKeys.me })), [qc]);

  const signIn = useCallback(
    async (body: LoginRequest) => {
      const session = await login(body);
      signingOut.current = false;
      setSignedOut(false);
      // Nothing cached for the previous user survives into the new session.
      forgetAllButMe(qc);
      qc.setQueryData<Me>(authKeys.me, session);
      setExpired(false);
      return session;
    },
    [qc],
  );

  const signOut = useCallback(async () => {
    signingOut.current = true;
    try {
      await logout();
    } catch (err) {
      // Already logged out (expired meanwhile) is what we wanted anyway.
      if (!(err instanceof ApiError && err.status === 401)) {
        signingOut.current = false;
        throw err;
      }
    }
    // No navigation here: the guard sends an anonymous user to the login page, and told `signedOut` it sends them
    // to the plain one. Navigating first would race it (and the login page bounces a user still logged in back).
    forgetAllButMe(qc);
    setSignedOut(true);
    setExpired(false);
    qc.setQueryData<Me>(authKeys.me, null);
  }, [qc]);

  const { data, isError, error, refetch } = me;
  const value = useMemo<AuthValue>(() => {
    const status = statusOf(data, isError);
    const session = data && data !== 'open' ? data : null;
    const role: Role | null = status === 'open' ? 'admin' : (session?.role ?? null);
    return {
      status,
      session,
      role,
      expired,
      signedOut,
      error,
      can: (action) => status === 'open' || can(role, action),
      signIn,
      signOut,
      retry: () => void refetch(),
    };
  }, [data, isError, error, refetch, expired, signedOut, signIn, signOut]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/** Pages behind a login: anonymous visitors go to the login page, which brings them back here afterwards. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const auth = useAuth();
  const loc = useLocation();
  if (auth.status === 'loading') return <Loading what="your session" />;
  if (auth.status === 'error') {
    return (
      <div className="login-wrap">
        <ErrorBox error={auth.error} retry={auth.retry} />
      </div>
    );
  }
  if (auth.status === 'anonymous') {
    return <Navigate to={auth.signedOut ? '/login' : loginPath(`${loc.pathname}${loc.search}${loc.hash}`, auth.expired)} replace />;
  }
  return children;
}

/** A page only some roles may see (the API answers 403 for the rest anyway). */
export function RequireRole({ action, children }: { action: Action; children: ReactNode }) {
  const auth = useAuth();
  if (!auth.can(action)) {
    return (
      <section>
        <h1>Not allowed</h1>
        <p className="muted">
          Your role ({auth.role ?? 'none'}) cannot open this page. Ask an admin if you need it.
        </p>
      </section>
    );
  }
  return children;
}
