import { useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useVersionTelemetry } from '../api/fleet';
import { useModel } from '../api/queries';
import { useRollouts } from '../api/rollouts';
import { ErrorBox, failedEmpty, Loading, StaleNote } from '../components/status';
import { TelemetryCharts, WindowSelector } from '../components/telemetry-charts';
import { isTelemetryWindow, rolloutMarkers, TELEMETRY_WINDOWS, type TelemetryWindow } from '../lib/telemetry';

/** A version's fleet telemetry and field accuracy; the window lives in the URL (`?window=24h`) so views can be shared. */
export function VersionTelemetryPage() {
  const { id = '', v = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const raw = params.get('window');
  const window: TelemetryWindow = isTelemetryWindow(raw) ? raw : '1h';
  const model = useModel(id);
  const telemetry = useVersionTelemetry(id, v, window);
  // Rollouts of this model, to mark on the charts when the version went out (and came back).
  const rollouts = useRollouts({ modelId: id, limit: 50, offset: 0 });
  const markers = useMemo(() => {
    const t = telemetry.data;
    return t ? rolloutMarkers(rollouts.data?.items ?? [], t.versionId, Date.parse(t.from), Date.parse(t.to)) : [];
  }, [telemetry.data, rollouts.data]);

  return (
    <section>
      <nav className="crumbs">
        <Link to="/models">Models</Link> / <Link to={`/models/${id}`}>{model.data?.name ?? 'model'}</Link> / <Link to={`/models/${id}/versions/${v}`}>v{v}</Link> / telemetry
      </nav>
      <StaleNote query={telemetry} />
      <header className="page-header">
        <div>
          <h1>Telemetry of v{v}</h1>
          <p className="muted">
            Requests, errors and latency reported by devices, and accuracy from their feedback labels, {TELEMETRY_WINDOWS[window].label} in {TELEMETRY_WINDOWS[window].bucket}{' '}
            buckets.
          </p>
        </div>
        <WindowSelector value={window} onChange={(w) => setParams(w === '1h' ? {} : { window: w }, { replace: true })} />
      </header>
      {telemetry.isPending ? (
        <Loading what="telemetry" />
      ) : failedEmpty(telemetry) ? (
        <ErrorBox error={telemetry.error} retry={() => void telemetry.refetch()} />
      ) : (
        <TelemetryCharts data={telemetry.data} window={window} markers={markers} />
      )}
    </section>
  );
}
