import type { ReactNode } from 'react';
import { Pager } from './pagination';

/** A page of a list as a table: a header cell per column (`''` for none), `children` as the rows, then the pager. */
export function PagedTable({
  label,
  columns,
  page,
  limit,
  onOffset,
  children,
}: {
  label?: string;
  columns: readonly string[];
  page: { offset: number; items: readonly unknown[]; total: number };
  limit: number;
  onOffset: (offset: number) => void;
  children: ReactNode;
}) {
  return (
    <>
      <div className="table-wrap">
        <table aria-label={label}>
          <thead>
            <tr>
              {columns.map((c, i) => (
                <th key={i}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
      <Pager page={page} limit={limit} onOffset={onOffset} />
    </>
  );
}
