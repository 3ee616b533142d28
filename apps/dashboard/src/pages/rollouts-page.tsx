import type { RolloutDto, RolloutStatus } from '@edgefleet/contracts';
import { useState } from 'react';
import { Link } from 'react-router';
import { useActiveRollouts, useRollouts, useRolloutLive } from '../api/rollouts';
import { config } from '../config/index';
import { Pager } from '../components/pagination';
import { RolloutStatusBadge } from '../components/rollout-status';
import { Empty, ErrorBox, Loading } from '../components/status';
import { ListStates } from '../components/list-states';
import { DeviceStateBar } from '../components/stacked-bar';
import { RelativeTime } from '../components/time';
import { describeStrategy, describeTarget, sortRollouts } from '../lib/rollouts';
import { useCan } from '../auth/auth-context';

const STATUSES: RolloutStatus[] = ['running', 'paused', 'rolling_back', 'completed', 'rolled_back', 'superseded'];

export function RolloutsPage({ pageSize = config.pageSize }: { pageSize?: number }) {
  const [status, setStatus] = useState<RolloutStatus | ''>('');
  const [offset, setOffset] = useState(0);
  const active = useActiveRollouts();
  const rollouts = useRollouts({ status: status || undefined, limit: pageSize, offset });
  const live = useRolloutLive(undefined);
  const canWrite = useCan('rollout:write');

  return (
    <section>
      <header className="page-header">
        <div>
          <h1>Rollouts</h1>
          <p className="muted small">
            <span className={`live live-${live}`}>{live === 'live' ? '● live' : live}</span>
          </p>
        </div>
        {canWrite && (
          <Link className="button primary" to="/rollouts/new">
            New rollout
          </Link>
        )}
      </header>

      <h2>Active</h2>
      {active.pending ? (
        <Loading what="active rollouts" />
      ) : active.error ? (
        <ErrorBox error={active.error} retry={active.refetch} />
      ) : active.items.length === 0 ? (
        <Empty>No rollout is in progress.</Empty>
      ) : (
        <RolloutTable label="active rollouts" rollouts={active.items} />
      )}

      <h2>
        All rollouts
        <select
          aria-label="filter by status"
          className="heading-select"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as RolloutStatus | '');
            setOffset(0);
          }}
        >
          <option value="">any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
      </h2>
      <ListStates query={rollouts} what="rollouts" empty={status ? `No ${status.replace('_', ' ')} rollouts.` : 'No rollouts yet: open a version and press “Roll out”, or use “New rollout”.'}>
        {(page) => (
          <>
            <RolloutTable label="rollouts" rollouts={sortRollouts(page.items)} />
            <Pager page={page} limit={pageSize} onOffset={setOffset} />
          </>
        )}
      </ListStates>
    </section>
  );
}

function RolloutTable({ label, rollouts }: { label: string; rollouts: RolloutDto[] }) {
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            <th>Rollout</th>
            <th>Status</th>
            <th>Target</th>
            <th>Strategy</th>
            <th>Wave</th>
            <th>Devices</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {rollouts.map((r) => (
            <tr key={r.id} data-testid={`rollout-${r.id}`}>
              <td>
                <Link to={`/rollouts/${r.id}`}>
                  {r.model.name} v{r.version.number}
                  {r.version.semver ? ` (${r.version.semver})` : ''}
                </Link>
                {r.note && <div className="muted small">{r.note}</div>}
              </td>
              <td>
                <RolloutStatusBadge status={r.status} />
                {r.reason && <div className="muted small">{r.reason}</div>}
              </td>
              <td>{describeTarget(r.target)}</td>
              <td className="small">{describeStrategy(r.strategy)}</td>
              <td>
                {Math.min(r.currentWave + 1, r.waves.length)} / {r.waves.length}
              </td>
              <td className="bar-cell">
                <DeviceStateBar counts={r.counts} compact />
              </td>
              <td>
                <RelativeTime iso={r.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
