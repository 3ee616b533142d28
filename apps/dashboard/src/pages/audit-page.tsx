import type { AuditActorType, AuditEntryDto, AuditResult } from '@edgefleet/contracts';
import { useState } from 'react';
import { useAudit, useUsers } from '../api/auth';
import { Badge } from '../components/status';
import { ListStates } from '../components/list-states';
import { PagedTable } from '../components/paged-table';
import { RelativeTime } from '../components/time';
import { config } from '../config/index';
import { localInputToIso } from '../lib/accounts';
import { useDebounced } from '../lib/use-debounced';

const ACTOR_TYPES = ['user', 'api_key', 'device', 'system', 'anonymous'] as const satisfies readonly AuditActorType[];
const RESULTS = ['success', 'denied', 'failed'] as const satisfies readonly AuditResult[];
const RESULT_TONE = { success: 'ok', denied: 'warn', failed: 'bad' } as const;

interface Filters {
  actorType: AuditActorType | '';
  actorId: string;
  action: string;
  targetType: string;
  targetId: string;
  result: AuditResult | '';
  since: string;
  until: string;
}

const NONE: Filters = { actorType: '', actorId: '', action: '', targetType: '', targetId: '', result: '', since: '', until: '' };

function Actor({ e }: { e: AuditEntryDto }) {
  return (
    <>
      {e.actorLabel ?? e.actorId ?? <span className="muted">–</span>}
      <div className="muted small">
        {e.actorType.replace('_', ' ')}
        {e.role ? ` · ${e.role}` : ''}
      </div>
    </>
  );
}

/** Every mutating request, newest first, filtered by actor, action, target, result and time. */
export function AuditPage({ pageSize = config.pageSize }: { pageSize?: number }) {
  const [f, setF] = useState<Filters>(NONE);
  const [offset, setOffset] = useState(0);
  const users = useUsers({ limit: 200, offset: 0 });
  const text = {
    action: useDebounced(f.action.trim(), 300),
    targetType: useDebounced(f.targetType.trim(), 300),
    targetId: useDebounced(f.targetId.trim(), 300),
  };
  const audit = useAudit({
    actorType: f.actorType || undefined,
    actorId: f.actorId || undefined,
    action: text.action || undefined,
    targetType: text.targetType || undefined,
    targetId: text.targetId || undefined,
    result: f.result || undefined,
    since: localInputToIso(f.since),
    until: localInputToIso(f.until),
    limit: pageSize,
    offset,
  });
  const set = <K extends keyof Filters>(k: K) => (e: { target: { value: string } }) => {
    setF((prev) => ({ ...prev, [k]: e.target.value as Filters[K] }));
    setOffset(0);
  };
  const filtered = Object.values(f).some((v) => v !== '');

  return (
    <section>
      <header className="page-header">
        <div>
          <h1>Audit log</h1>
          <p className="muted small">Every change made through the API: who, with which role, what, on what, when, from where, and how it ended.</p>
        </div>
      </header>
      <div className="toolbar filters audit-filters" aria-label="audit filters">
        <select aria-label="filter by actor" value={f.actorId} onChange={set('actorId')}>
          <option value="">any user</option>
          {users.data?.items.map((u) => (
            <option key={u.id} value={u.id}>
              {u.email}
            </option>
          ))}
        </select>
        <select aria-label="filter by actor type" value={f.actorType} onChange={set('actorType')}>
          <option value="">any actor type</option>
          {ACTOR_TYPES.map((t) => (
            <option key={t} value={t}>
              {t.replace('_', ' ')}
            </option>
          ))}
        </select>
        <input aria-label="filter by action" placeholder="action, e.g. POST /api/rollouts" value={f.action} onChange={set('action')} />
        <input aria-label="filter by target type" placeholder="target type" value={f.targetType} onChange={set('targetType')} />
        <input aria-label="filter by target id" placeholder="target id" value={f.targetId} onChange={set('targetId')} />
        <select aria-label="filter by result" value={f.result} onChange={set('result')}>
          <option value="">any result</option>
          {RESULTS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <label className="inline small">
          from <input type="datetime-local" aria-label="since" value={f.since} onChange={set('since')} />
        </label>
        <label className="inline small">
          to <input type="datetime-local" aria-label="until" value={f.until} onChange={set('until')} />
        </label>
        {filtered && (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setF(NONE);
              setOffset(0);
            }}
          >
            Clear filters
          </button>
        )}
        {audit.isFetching && !audit.isPending && <span className="muted small">updating…</span>}
      </div>

      <ListStates query={audit} what="the audit log" empty={filtered ? 'No entry matches these filters.' : 'Nothing recorded yet.'}>
        {(page) => (
          <PagedTable label="audit log" columns={['When', 'Actor', 'Action', 'Target', 'Result', 'From']} page={page} limit={pageSize} onOffset={setOffset}>
            {page.items.map((e) => (
              <tr key={e.id} data-testid="audit-row">
                <td className="nowrap">
                  <RelativeTime iso={e.at} />
                </td>
                <td>
                  <Actor e={e} />
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  {e.targetType ? (
                    <>
                      {e.targetType}
                      {e.targetId && <div className="muted small mono-wrap">{e.targetId}</div>}
                    </>
                  ) : (
                    <span className="muted">–</span>
                  )}
                </td>
                <td className="nowrap">
                  <Badge tone={RESULT_TONE[e.result]}>{e.result}</Badge> <span className="muted small">{e.status}</span>
                </td>
                <td className="small">
                  {e.ip ?? '–'}
                  {e.requestId && <div className="muted small" title="request id">{e.requestId}</div>}
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </ListStates>
    </section>
  );
}
