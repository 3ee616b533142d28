import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Empty, ErrorBox, Loading } from './status';

/**
 * The states of a list query: loading, its error with a retry, `empty` when the page has no items, and otherwise
 * `children` with the page.
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
  if (query.isError) return <ErrorBox error={query.error} retry={() => void query.refetch()} />;
  if (query.data.items.length === 0) return <Empty>{empty}</Empty>;
  return children(query.data);
}
