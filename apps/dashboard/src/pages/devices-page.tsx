import type { DeviceStatus } from '@edgefleet/contracts';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useDeviceCounts, useDevices, useVersionIndex } from '../api/fleet';
import { useModels, useProfiles } from '../api/queries';
import { config } from '../config/index';
import { AssignmentCell, DeviceStatusBadge, HealthBadge, RunningCell } from '../components/device-bits';
import { EnrollmentTokensPanel } from '../components/enrollment-tokens-panel';
import { ListStates } from '../components/list-states';
import { PagedTable } from '../components/paged-table';
import { RelativeTime } from '../components/time';
import { DEVICE_STATUSES } from '../lib/devices';
import { formatMs, formatPercent } from '../lib/format';
import { useDebounced } from '../lib/use-debounced';
import { useCan } from '../auth/auth-context';

export function DevicesPage({ pageSize = config.pageSize }: { pageSize?: number }) {
  const [group, setGroup] = useState('');
  const [tag, setTag] = useState('');
  const [status, setStatus] = useState<DeviceStatus | ''>('');
  const [profile, setProfile] = useState('');
  const [offset, setOffset] = useState(0);
  const [tokensOpen, setTokensOpen] = useState(false);
  const canTokens = useCan('enrollment:write');
  const filters = { group: useDebounced(group.trim(), 250) || undefined, tag: useDebounced(tag.trim(), 250) || undefined, profile: profile || undefined };
  const devices = useDevices({ ...filters, status: status || undefined, limit: pageSize, offset });
  const counts = useDeviceCounts(filters);
  const profiles = useProfiles();
  const models = useModels({ limit: 200, offset: 0 });
  const modelMap = useMemo(() => new Map((models.data?.items ?? []).map((m) => [m.id, m])), [models.data]);
  const items = devices.data?.items ?? [];
  const versionIndex = useVersionIndex(
    items.flatMap((d) => (d.assignment ? [d.assignment.modelId] : [])),
    items.flatMap((d) => (d.running ? [d.running.versionId] : [])),
  );
  const filtered = !!(filters.group || filters.tag || filters.profile || status);
  const reset = (fn: () => void) => {
    fn();
    setOffset(0);
  };

  return (
    <section>
      <header className="page-header">
        <div>
          <h1>Devices</h1>
          <div className="status-counts" aria-label="devices by status">
            {DEVICE_STATUSES.map((s) => (
              <button
                key={s}
                type="button"
                className={`count-chip count-${s}${status === s ? ' on' : ''}`}
                aria-pressed={status === s}
                onClick={() => reset(() => setStatus(status === s ? '' : s))}
              >
                <strong data-testid={`count-${s}`}>{counts[s] ?? '…'}</strong> {s}
              </button>
            ))}
          </div>
        </div>
        {canTokens && (
          <button type="button" className="primary" onClick={() => setTokensOpen((o) => !o)} aria-expanded={tokensOpen}>
            {tokensOpen ? 'Close tokens' : 'Enrollment tokens'}
          </button>
        )}
      </header>
      {tokensOpen && canTokens && <EnrollmentTokensPanel />}

      <div className="toolbar filters">
        <input aria-label="filter by group" placeholder="group" value={group} onChange={(e) => reset(() => setGroup(e.target.value))} />
        <input aria-label="filter by tag" placeholder="tag" value={tag} onChange={(e) => reset(() => setTag(e.target.value))} />
        <select aria-label="filter by status" value={status} onChange={(e) => reset(() => setStatus(e.target.value as DeviceStatus | ''))}>
          <option value="">any status</option>
          {DEVICE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <select aria-label="filter by profile" value={profile} onChange={(e) => reset(() => setProfile(e.target.value))}>
          <option value="">any profile</option>
          {profiles.data?.items.map((p) => (
            <option key={p.id} value={p.slug}>
              {p.slug}
            </option>
          ))}
        </select>
        {filtered && (
          <button type="button" className="link-button" onClick={() => reset(() => (setGroup(''), setTag(''), setStatus(''), setProfile('')))}>
            Clear filters
          </button>
        )}
        {devices.isFetching && !devices.isPending && <span className="muted small">updating…</span>}
      </div>

      <ListStates query={devices} what="devices" empty={filtered ? 'No device matches these filters.' : 'No devices yet: create an enrollment token and enroll an agent with it (edgefleet-agent enroll --token …).'}>
        {(page) => (
          <PagedTable label="devices" columns={['Name', 'Group', 'Tags', 'Profile', 'Status', 'Health', 'Running', 'Assigned', 'p95 (1h)', 'Errors (1h)', 'Last seen']} page={page} limit={pageSize} onOffset={setOffset}>
            {page.items.map((d) => (
              <tr key={d.id} data-testid={`device-${d.name}`}>
                <td className="nowrap">
                  <Link to={`/devices/${d.id}`}>{d.name}</Link>
                </td>
                <td>{d.group}</td>
                <td>{d.tags.length ? d.tags.map((t) => <code key={t} className="tag">{t}</code>) : <span className="muted">–</span>}</td>
                <td>{d.profile ? <code>{d.profile.slug}</code> : <span className="muted">none</span>}</td>
                <td>
                  <DeviceStatusBadge status={d.status} />
                </td>
                <td>
                  <HealthBadge health={d.health} />
                </td>
                <td>
                  <RunningCell device={d} models={modelMap} versions={versionIndex} />
                </td>
                <td>
                  <AssignmentCell device={d} models={modelMap} />
                </td>
                <td className="nowrap" data-testid="p95">
                  {formatMs(d.stats?.p95Ms)}
                </td>
                <td className="nowrap" data-testid="error-rate" title={d.stats ? `${d.stats.requests} requests in the last hour` : 'no telemetry in the last hour'}>
                  {formatPercent(d.stats?.errorRate)}
                </td>
                <td className="nowrap">
                  <RelativeTime iso={d.lastSeenAt} />
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </ListStates>
    </section>
  );
}
