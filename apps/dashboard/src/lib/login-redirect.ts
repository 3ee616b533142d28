/**
 * The `next` parameter of the login page: only a path on this origin is followed, so a crafted link cannot send
 * someone elsewhere after they log in (`//evil.example`, `/\evil.example` and absolute URLs are refused).
 */
export function safeNext(next: string | null | undefined, fallback = '/models'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  if (next === '/login' || next.startsWith('/login?') || next.startsWith('/login/')) return fallback;
  return next;
}

/** The login page's address that comes back to `path` afterwards; `expired` shows "your session expired". */
export function loginPath(path: string, expired = false): string {
  const params = new URLSearchParams();
  const next = safeNext(path, '');
  if (next && next !== '/') params.set('next', next);
  if (expired) params.set('expired', '1');
  const qs = params.toString();
  return qs ? `/login?${qs}` : '/login';
}

/** "Try again in 42 s" / "in 2 min": how long a throttled login waits. */
export function formatRetryAfter(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.ceil(seconds))} s`;
  const min = Math.ceil(seconds / 60);
  return `${min} min`;
}
