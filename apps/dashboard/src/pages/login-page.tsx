import { type FormEvent, useEffect, useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { useAuth } from '../auth/auth-context';
import { Loading } from '../components/status';
import { formatRetryAfter, safeNext } from '../lib/login-redirect';

/** What to tell someone whose login failed; a throttled login says how long to wait. */
export function loginErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Wrong email or password.';
    if (err.status === 429) {
      return err.retryAfterS !== undefined
        ? `Too many attempts. Try again in ${formatRetryAfter(err.retryAfterS)}.`
        : 'Too many attempts. Wait a little and try again.';
    }
    if (err.status === 400) return 'Enter a valid email address and your password.';
  }
  return errorMessage(err);
}

export function LoginPage() {
  const auth = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const expired = params.get('expired') === '1';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // Counts down a 429's Retry-After so the button comes back by itself.
  const [waitS, setWaitS] = useState(0);
  useEffect(() => {
    if (waitS <= 0) return;
    const t = setTimeout(() => setWaitS((s) => s - 1), 1000);
    return () => clearTimeout(t);
  }, [waitS]);

  if (auth.status === 'loading') return <Loading what="your session" />;
  // Already in (or an API without accounts): straight on.
  if ((auth.status === 'authenticated' || auth.status === 'open') && !busy) return <Navigate to={next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!email.trim() || !password) {
      setError(new Error('Enter your email and password.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await auth.signIn({ email: email.trim(), password });
      void navigate(next, { replace: true });
    } catch (err) {
      setError(err);
      setPassword('');
      if (err instanceof ApiError && err.status === 429 && err.retryAfterS) setWaitS(err.retryAfterS);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-wrap">
      <form className="card login-card" onSubmit={(e) => void submit(e)} noValidate aria-label="log in">
        <div className="brand login-brand">edgefleet</div>
        <h1>Log in</h1>
        {expired && !error && (
          <p className="notice" role="status">
            Your session expired. Log in again to continue where you were.
          </p>
        )}
        <label>
          Email
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus required />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error !== null && (
          <div className="error-box" role="alert">
            {waitS > 0 && error instanceof ApiError && error.status === 429 ? `Too many attempts. Try again in ${formatRetryAfter(waitS)}.` : loginErrorMessage(error)}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy || waitS > 0}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </div>
  );
}
