import { formatPageRange } from '../lib/format';

export interface PaginationProps {
  offset: number;
  limit: number;
  count: number;
  total: number;
  onOffset: (offset: number) => void;
}

export function Pagination({ offset, limit, count, total, onOffset }: PaginationProps) {
  return (
    <nav className="pagination" aria-label="pagination">
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        ‹ Previous
      </button>
      <span>{formatPageRange(offset, count, total)}</span>
      <button type="button" disabled={offset + count >= total} onClick={() => onOffset(offset + limit)}>
        Next ›
      </button>
    </nav>
  );
}

/** Pagination under a list page as the API returns it (`offset`, `items`, `total`). */
export function Pager({ page, limit, onOffset }: { page: { offset: number; items: readonly unknown[]; total: number }; limit: number; onOffset: (offset: number) => void }) {
  return <Pagination offset={page.offset} limit={limit} count={page.items.length} total={page.total} onOffset={onOffset} />;
}
