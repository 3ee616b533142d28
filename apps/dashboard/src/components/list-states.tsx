import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Empty, ErrorBox, failedEmpty, Loading, StaleNote } from './status';

/**
 * The states of a list query: loading, its error with a retry, `empty` when the page has no items, and otherwise
 * `children` with the page. A failed refresh keeps the last page on screen, said to be stale.
 */
export function ListStates<P extends { items: readonly unknown[] }>({
  query,
  what,
  empty,
  children,
}: {
  query: UseQueryResult<P>;
  what: string;
  empty: ReactNode;
  children: (page: P) => ReactNode;
}) {
  if (query.isPending) return <Loading what={what} />;
  if (failedEmpty(query)) return <ErrorBox error={query.error} retry={() => void query.refetch()} />;
  return (
    <>
      <StaleNote query={query} />
      {query.data.items.length === 0 ? <Empty>{empty}</Empty> : children(query.data)}
    </>
  );
}
