import type { RolloutDeviceState } from '@edgefleet/contracts';
import { deviceStateSegments } from '../lib/rollouts';

/** Devices of a rollout by state, as one bar with a legend. */
export function DeviceStateBar({ counts, compact }: { counts: Partial<Record<RolloutDeviceState, number>>; compact?: boolean }) {
  const { total, segments } = deviceStateSegments(counts);
  if (total === 0) return <p className="muted small">{compact ? 'none' : 'No devices in this rollout.'}</p>;
  return (
    <div className="stacked" aria-label="device states">
      <div className="stacked-bar" role="img" aria-label={segments.map((s) => `${s.count} ${s.state}`).join(', ')}>
        {segments.map((s) => (
          <span key={s.state} style={{ width: `${s.fraction * 100}%`, background: s.color }} title={`${s.state}: ${s.count}`} />
        ))}
      </div>
      <ul className={compact ? 'legend compact' : 'legend'}>
        {segments.map((s) => (
          <li key={s.state} data-testid={`state-${s.state}`}>
            <span className="swatch" style={{ background: s.color }} />
            {s.state.replace('_', ' ')} <strong>{s.count}</strong>
          </li>
        ))}
        <li className="muted">total {total}</li>
      </ul>
    </div>
  );
}
