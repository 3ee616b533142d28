import type { VersionTelemetryDto } from '@edgefleet/contracts';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDate, formatMs, formatPercent } from '../lib/format';
import { type ChartMarker, formatTick, placeMarkerLabels, TELEMETRY_WINDOWS, type TelemetryRow, type TelemetryWindow, toTelemetryRows } from '../lib/telemetry';

const MARKER_COLOR: Record<ChartMarker['tone'], string> = { info: '#2563eb', ok: '#15803d', bad: '#b91c1c', warn: '#b45309' };

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

function TimeChart({
  title,
  rows,
  series,
  window,
  unit,
  format,
  markers,
  bucketMs,
}: {
  title: string;
  rows: TelemetryRow[];
  /** Width of one bucket: the axis runs to the end of the last one, so markers in the current bucket show. */
  bucketMs: number;
  series: Series[];
  window: TelemetryWindow;
  unit: string;
  format: (v: number) => string;
  markers: readonly ChartMarker[];
}) {
  const hasData = rows.some((r) => series.some((s) => r[s.key] !== null));
  const axis: [number, number] | null = rows.length > 0 ? [rows[0]!.t, rows[rows.length - 1]!.t + bucketMs] : null;
  const placements = axis ? placeMarkerLabels(markers, ...axis) : [];
  return (
    <div className="card chart-card" aria-label={`${title} chart`}>
      <h3>{title}</h3>
      {!hasData ? (
        <p className="muted small chart-empty">No data in this window.</p>
      ) : (
        <ResponsiveContainer width="100%" height={200}>
          <LineChart data={rows} margin={{ top: 5, right: 15, bottom: 5, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" scale="time" domain={axis ?? ['dataMin', 'dataMax']} tickFormatter={(t: number) => formatTick(t, window)} minTickGap={24} />
            <YAxis width={unit.length > 1 ? 68 : 56} tickFormatter={(v: number) => `${v}${unit}`} domain={[0, 'auto']} />
            <Tooltip labelFormatter={(t) => formatDate(new Date(Number(t)).toISOString())} formatter={(v) => format(Number(v))} />
            {series.length > 1 && <Legend />}
            {markers.map((m, i) => (
              <ReferenceLine
                key={`${m.t}-${m.label}`}
                x={m.t}
                stroke={MARKER_COLOR[m.tone]}
                strokeDasharray="4 3"
                label={{ value: m.label, ...placements[i], fontSize: 10, fill: MARKER_COLOR[m.tone] }}
              />
            ))}
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
export function TelemetryCharts({ data, window, markers = [] }: { data: Pick<VersionTelemetryDto, 'points' | 'bucketS' | 'totals'>; window: TelemetryWindow; markers?: readonly ChartMarker[] }) {
  const rows = toTelemetryRows(data.points, data.bucketS);
  const bucketMs = data.bucketS * 1000;
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
        <TimeChart bucketMs={bucketMs} markers={markers} title="Request rate" rows={rows} window={window} unit="" series={[{ key: 'rpm', name: 'requests/min', color: '#2563eb' }]} format={(v) => `${v}/min`} />
        <TimeChart bucketMs={bucketMs} markers={markers} title="Error rate" rows={rows} window={window} unit="%" series={[{ key: 'errorPct', name: 'errors', color: '#b91c1c' }]} format={(v) => `${v}%`} />
        <TimeChart
          bucketMs={bucketMs}
          markers={markers}
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
        <TimeChart bucketMs={bucketMs} markers={markers} title="Accuracy" rows={rows} window={window} unit="%" series={[{ key: 'accuracyPct', name: 'accuracy', color: '#7c3aed' }]} format={(v) => `${v}%`} />
      </div>
    </div>
  );
}
