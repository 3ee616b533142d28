import type { VersionTelemetryDto } from '@edgefleet/contracts';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDate, formatMs, formatPercent } from '../lib/format';
import { formatTick, TELEMETRY_WINDOWS, type TelemetryRow, type TelemetryWindow, toTelemetryRows } from '../lib/telemetry';

export function WindowSelector({ value, onChange }: { value: TelemetryWindow; onChange: (w: TelemetryWindow) => void }) {
  return (
    <div className="segmented" role="group" aria-label="time window">
      {(Object.keys(TELEMETRY_WINDOWS) as TelemetryWindow[]).map((w) => (
        <button key={w} type="button" aria-pressed={value === w} className={value === w ? 'on' : undefined} onClick={() => onChange(w)}>
          {w}
        </button>
      ))}
    </div>
  );
}

interface Series {
  key: keyof TelemetryRow;
  name: string;
  color: string;
}

function TimeChart({ title, rows, series, window, unit, format }: { title: string; rows: TelemetryRow[]; series: Series[]; window: TelemetryWindow; unit: string; format: (v: number) => string }) {
  const hasData = rows.some((r) => series.some((s) => r[s.key] !== null));
  return (
    <div className="card chart-card" aria-label={`${title} chart`}>
      <h3>{title}</h3>
      {!hasData ? (
        <p className="muted small chart-empty">No data in this window.</p>
      ) : (
        <ResponsiveContainer width="100%" height={200}>
          <LineChart data={rows} margin={{ top: 5, right: 15, bottom: 5, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={(t: number) => formatTick(t, window)} minTickGap={24} />
            <YAxis width={56} tickFormatter={(v: number) => `${v}${unit}`} domain={[0, 'auto']} />
            <Tooltip labelFormatter={(t) => formatDate(new Date(Number(t)).toISOString())} formatter={(v) => format(Number(v))} />
            {series.length > 1 && <Legend />}
            {series.map((s) => (
              <Line key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={s.color} dot={{ r: 2 }} isAnimationActive={false} connectNulls={false} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}

/** Request rate, error rate, p50/p95 latency and field accuracy of a version over the chosen window. */
export function TelemetryCharts({ data, window }: { data: VersionTelemetryDto; window: TelemetryWindow }) {
  const rows = toTelemetryRows(data.points, data.bucketS);
  const t = data.totals;
  return (
    <div className="telemetry" data-testid="telemetry">
      <dl className="stats" aria-label="telemetry totals">
        <div>
          <dt>Requests</dt>
          <dd>{t.count.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Error rate</dt>
          <dd>{formatPercent(t.errorRate, 2)}</dd>
        </div>
        <div>
          <dt>p50 / p95</dt>
          <dd>
            {formatMs(t.p50Ms)} / {formatMs(t.p95Ms)}
          </dd>
        </div>
        <div>
          <dt>Accuracy (feedback)</dt>
          <dd>
            {formatPercent(t.accuracy)} <span className="muted small">{t.labelled} labelled</span>
          </dd>
        </div>
      </dl>
      <div className="grid-2">
        <TimeChart title="Request rate" rows={rows} window={window} unit="" series={[{ key: 'rpm', name: 'requests/min', color: '#2563eb' }]} format={(v) => `${v}/min`} />
        <TimeChart title="Error rate" rows={rows} window={window} unit="%" series={[{ key: 'errorPct', name: 'errors', color: '#b91c1c' }]} format={(v) => `${v}%`} />
        <TimeChart
          title="Latency"
          rows={rows}
          window={window}
          unit=" ms"
          series={[
            { key: 'p50', name: 'p50 ms', color: '#15803d' },
            { key: 'p95', name: 'p95 ms', color: '#b45309' },
          ]}
          format={(v) => formatMs(v)}
        />
        <TimeChart title="Accuracy" rows={rows} window={window} unit="%" series={[{ key: 'accuracyPct', name: 'accuracy', color: '#7c3aed' }]} format={(v) => `${v}%`} />
      </div>
    </div>
  );
}
