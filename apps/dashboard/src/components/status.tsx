import type { QueryObserverLoadingErrorResult, UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { errorMessage } from '../api/client';

/**
 * A query that failed before it ever had data. A failed *refresh* keeps the last data on screen instead (the
 * health banner says when the API is away), so pages test this rather than `isError`.
 */
export function failedEmpty<T, E>(q: UseQueryResult<T, E>): q is QueryObserverLoadingErrorResult<T, E> {
  return q.isError && q.data === undefined;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="error-box" role="alert">
      <span>{errorMessage(error)}</span>
      {retry && (
        <button type="button" className="link-button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Said beside data kept on screen after a refresh failed. */
export function StaleNote({ query }: { query: Pick<UseQueryResult<unknown>, 'isError' | 'error' | 'dataUpdatedAt'> }) {
  if (!query.isError) return null;
  return (
    <p className="stale-note small" role="status">
      Could not refresh ({errorMessage(query.error)}); showing data from {new Date(query.dataUpdatedAt).toLocaleTimeString()}.
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}

export function Badge({ tone, children }: { tone: 'ok' | 'bad' | 'warn' | 'info' | 'muted'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
