import { useHealth } from '../api/queries';

/** A banner across the top while the API cannot be reached or reports a dependency down. */
export function HealthBanner() {
  const { data } = useHealth();
  if (!data) return null;
  if (!data.reachable) {
    return (
      <div className="banner banner-danger" role="alert">
        API unreachable — retrying every few seconds. Data on screen may be stale.
      </div>
    );
  }
  if (data.report?.status === 'degraded') {
    const down = Object.entries(data.report.checks)
      .filter(([, c]) => !c.ok)
      .map(([name]) => name);
    return (
      <div className="banner banner-warn" role="alert">
        API unreachable or degraded: {down.length > 0 ? `${down.join(' and ')} down` : 'a dependency is failing'}.
      </div>
    );
  }
  return null;
}
