import type { RolloutDeviceState, RolloutDto, RolloutEventDto, RolloutWaveDto } from '@edgefleet/contracts';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { errorMessage } from '../api/client';
import { useRollout, useRolloutAction, useRolloutDevices, useRolloutEvents, useRolloutLive } from '../api/rollouts';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Badge, Empty, ErrorBox, failedEmpty, Loading, StaleNote } from '../components/status';
import { ListStates } from '../components/list-states';
import { PagedTable } from '../components/paged-table';
import { DeviceStateBar } from '../components/stacked-bar';
import { Countdown, RelativeTime } from '../components/time';
import { formatDate, formatPercent } from '../lib/format';
import {
  ACTION_HELP,
  ACTION_LABEL,
  actionsFor,
  DEVICE_STATES,
  describeStrategy,
  describeTarget,
  formatGateValue,
  GATE_LABEL,
  isActive,
  PHASE_TONE,
  type RolloutAction,
  VERDICT_TONE,
} from '../lib/rollouts';
import { formatDurationS } from '../lib/time';
import { RolloutStatusBadge } from '../components/rollout-status';
import { useActorName, useCan } from '../auth/auth-context';

const DEVICE_PAGE = 50;

export function RolloutDetailPage() {
  const { id = '' } = useParams();
  const rollout = useRollout(id);
  const live = useRolloutLive(id);
  const [action, setAction] = useState<RolloutAction | null>(null);
  const act = useRolloutAction(id);
  const canWrite = useCan('rollout:write');
  const actor = useActorName();

  if (rollout.isPending) return <Loading what="rollout" />;
  if (failedEmpty(rollout)) return <ErrorBox error={rollout.error} retry={() => void rollout.refetch()} />;
  const r = rollout.data;
  const active = isActive(r.status);

  return (
    <section>
      <nav className="crumbs">
        <Link to="/rollouts">Rollouts</Link> / {r.model.name} v{r.version.number}
      </nav>
      <StaleNote query={rollout} />
      <header className="page-header">
        <div>
          <h1>
            Rollout of <Link to={`/models/${r.model.id}/versions/${r.version.number}`}>{r.model.name} v{r.version.number}</Link>{' '}
            <span data-testid="rollout-status">
              <RolloutStatusBadge status={r.status} />
            </span>
          </h1>
          <p className="muted">
            {describeTarget(r.target)} · {describeStrategy(r.strategy)} · started <RelativeTime iso={r.createdAt} />
            {r.createdBy ? ` by ${r.createdBy}` : ''}
            {r.finishedAt ? ` · finished ${formatDate(r.finishedAt)}` : ''} · <span className={`live live-${live}`}>{live === 'live' ? '● live' : live}</span>
          </p>
          {r.reason && (
            <p className="reason" data-testid="rollout-reason">
              Reason: {r.reason}
            </p>
          )}
          {r.note && <p className="muted small">Note: {r.note}</p>}
        </div>
        <div className="actions">
          {(canWrite ? actionsFor(r.status) : []).map((a) => (
            <button key={a} type="button" className={a === 'abort' || a === 'rollback' ? 'danger' : undefined} onClick={() => setAction(a)}>
              {ACTION_LABEL[a]}
            </button>
          ))}
        </div>
      </header>

      <div className="card">
        <h3>Devices</h3>
        <DeviceStateBar counts={r.counts} />
      </div>

      <h2>Waves</h2>
      <ol className="waves" aria-label="waves">
        {r.waves.map((w) => (
          <WaveCard key={w.index} wave={w} current={active && w.index === r.currentWave} />
        ))}
      </ol>
      <GatesSummary gates={r.gates} />

      <div className="split">
        <RolloutDevices id={id} active={active} counts={r.counts} />
        <History id={id} active={active} />
      </div>

      {action && (
        <ConfirmDialog
          title={`${ACTION_LABEL[action]} this rollout?`}
          message={ACTION_HELP[action]}
          confirmLabel={ACTION_LABEL[action]}
          askReason
          reasonRequired={action === 'abort' || action === 'rollback'}
          danger={action === 'abort' || action === 'rollback'}
          busy={act.isPending}
          error={act.isError ? errorMessage(act.error) : null}
          onCancel={() => {
            act.reset();
            setAction(null);
          }}
          onConfirm={(reason) =>
            act.mutate({ action, body: { actor, ...(reason ? { reason } : {}) } }, { onSuccess: () => setAction(null) })
          }
        />
      )}
    </section>
  );
}

function WaveCard({ wave, current }: { wave: RolloutWaveDto; current: boolean }) {
  return (
    <li className={`card wave${current ? ' current' : ''}`} data-testid={`wave-${wave.index}`}>
      <div className="wave-head">
        <strong>Wave {wave.index + 1}</strong>
        <span>{wave.percent}% of target</span>
        <span>
          {wave.devices} device{wave.devices === 1 ? '' : 's'}
        </span>
        <Badge tone={PHASE_TONE[wave.phase]}>{wave.phase}</Badge>
        {wave.phase === 'baking' && wave.bakeUntil && <Countdown until={wave.bakeUntil} />}
        {wave.verdict && (
          <span>
            verdict <Badge tone={VERDICT_TONE[wave.verdict.verdict]}>{wave.verdict.verdict}</Badge> <span className="muted small">{formatDate(wave.verdict.at)}</span>
          </span>
        )}
      </div>
      <p className="muted small">
        {wave.startedAt ? `started ${formatDate(wave.startedAt)}` : 'not started'}
        {wave.switchedAt ? ` · switched ${formatDate(wave.switchedAt)}` : ''}
      </p>
      {wave.verdict && wave.verdict.gates.length > 0 && (
        <div className="table-wrap">
          <table aria-label={`wave ${wave.index + 1} gates`}>
            <thead>
              <tr>
                <th>Gate</th>
                <th>Observed</th>
                <th>Baseline</th>
                <th>Threshold</th>
                <th>Samples</th>
                <th>Verdict</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {wave.verdict.gates.map((g) => (
                <tr key={g.gate} className={`gate-${g.verdict}`}>
                  <td>{GATE_LABEL[g.gate]}</td>
                  <td>{formatGateValue(g.gate, g.observed)}</td>
                  <td>{formatGateValue(g.gate, g.baseline)}</td>
                  <td>{formatGateValue(g.gate, g.threshold)}</td>
                  <td>{g.samples}</td>
                  <td>
                    <Badge tone={VERDICT_TONE[g.verdict]}>{g.verdict}</Badge>
                  </td>
                  <td className="small">{g.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </li>
  );
}

function GatesSummary({ gates }: { gates: RolloutDto['gates'] }) {
  const parts: string[] = [];
  if (gates.errorRate) parts.push(`error rate +≤${formatPercent(gates.errorRate.maxIncrease)} (≥${gates.errorRate.minRequests} req)`);
  if (gates.latencyP95) parts.push(`p95 ≤ ${gates.latencyP95.maxRatio}× (≥${gates.latencyP95.minRequests} req)`);
  if (gates.accuracy) parts.push(`accuracy −≤${formatPercent(gates.accuracy.maxDrop)} (≥${gates.accuracy.minLabelled} labels)`);
  parts.push(`≤ ${gates.health.maxFailures} health failures`);
  if (gates.shadow) parts.push(`shadow ≥${formatPercent(gates.shadow.minAgreement)} agreement on ${formatPercent(gates.shadow.sampleRate, 0)} of requests (≥${gates.shadow.minSamples})`);
  return (
    <p className="muted small">
      Gates: {parts.join(' · ')} · inconclusive for up to {formatDurationS(gates.inconclusiveTimeoutS)}, then pause.
    </p>
  );
}

function RolloutDevices({ id, active, counts }: { id: string; active: boolean; counts: RolloutDto['counts'] }) {
  const [state, setState] = useState<RolloutDeviceState | ''>('');
  const [offset, setOffset] = useState(0);
  const devices = useRolloutDevices(id, { state: state || undefined, limit: DEVICE_PAGE, offset }, active);
  return (
    <div className="card">
      <div className="page-header">
        <h3>Device list</h3>
        <select
          aria-label="filter devices by state"
          value={state}
          onChange={(e) => {
            setState(e.target.value as RolloutDeviceState | '');
            setOffset(0);
          }}
        >
          <option value="">every state</option>
          {DEVICE_STATES.map((s) => (
            <option key={s.state} value={s.state}>
              {s.state.replace('_', ' ')} ({counts[s.state] ?? 0})
            </option>
          ))}
        </select>
      </div>
      <ListStates query={devices} what="devices" empty={<>No devices{state ? ` in state ${state}` : ''}.</>}>
        {(page) => (
          <PagedTable label="rollout devices" columns={['Device', 'Profile', 'Wave', 'State', 'Previous', 'Updated']} page={page} limit={DEVICE_PAGE} onOffset={setOffset}>
            {page.items.map((d) => (
              <tr key={d.deviceId}>
                <td>
                  <Link to={`/devices/${d.deviceId}`}>{d.name}</Link>
                </td>
                <td>{d.profile ? <code>{d.profile}</code> : '–'}</td>
                <td>{d.wave === null ? '–' : d.wave + 1}</td>
                <td>
                  {d.state.replace('_', ' ')}
                  {d.skipReason && <div className="muted small">{d.skipReason}</div>}
                </td>
                <td>{d.previousVersion ? `v${d.previousVersion.number}` : 'none'}</td>
                <td>
                  <RelativeTime iso={d.updatedAt} />
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </ListStates>
    </div>
  );
}

function transition(e: RolloutEventDto): string {
  return e.from || e.to ? `${e.from ?? '∅'} → ${e.to ?? '∅'}` : '';
}

function History({ id, active }: { id: string; active: boolean }) {
  const events = useRolloutEvents(id, active);
  const [showDevices, setShowDevices] = useState(false);
  const shown = (events.data ?? []).filter((e) => showDevices || e.kind !== 'device');
  return (
    <div className="card">
      <div className="page-header">
        <h3>History</h3>
        <label className="check inline small">
          <input type="checkbox" checked={showDevices} onChange={(e) => setShowDevices(e.target.checked)} /> device transitions
        </label>
      </div>
      {events.isPending ? (
        <Loading what="history" />
      ) : failedEmpty(events) ? (
        <ErrorBox error={events.error} retry={() => void events.refetch()} />
      ) : shown.length === 0 ? (
        <Empty>No events yet.</Empty>
      ) : (
        <ol className="history" aria-label="history">
          {shown.map((e) => (
            <li key={e.id} data-kind={e.kind}>
              <span className="muted small" title={formatDate(e.at)}>
                <RelativeTime iso={e.at} />
              </span>{' '}
              <strong>{e.kind.replace('_', ' ')}</strong> <span className="small">{transition(e)}</span>
              {e.deviceId && (
                <>
                  {' '}
                  <Link to={`/devices/${e.deviceId}`} className="small">
                    device {e.deviceId.slice(0, 8)}
                  </Link>
                </>
              )}{' '}
              <span className="muted small">by {e.actor}</span>
              {e.reason && <div className="small">{e.reason}</div>}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
