import type { RolloutDto, TelemetryPointDto } from '@edgefleet/contracts';

/** The windows the charts offer, each with a bucket that keeps the chart between ~30 and ~100 points. */
export const TELEMETRY_WINDOWS = {
  '1h': { bucket: '1m', label: 'last hour' },
  '24h': { bucket: '15m', label: 'last 24 hours' },
  '7d': { bucket: '2h', label: 'last 7 days' },
} as const;
export type TelemetryWindow = keyof typeof TELEMETRY_WINDOWS;

export function isTelemetryWindow(value: string | null | undefined): value is TelemetryWindow {
  return value !== null && value !== undefined && Object.hasOwn(TELEMETRY_WINDOWS, value);
}

export interface TelemetryRow {
  /** Bucket start, epoch ms (the x axis). */
  t: number;
  requests: number;
  /** Requests per minute over the bucket. */
  rpm: number;
  /** Percent (0–100) or null when the bucket had no requests. */
  errorPct: number | null;
  p50: number | null;
  p95: number | null;
  /** Percent (0–100) or null when no feedback arrived in the bucket. */
  accuracyPct: number | null;
  labelled: number;
}

const pct = (f: number | null) => (f === null ? null : Math.round(f * 10_000) / 100);

/** API points → chart rows; empty buckets keep null figures so lines break instead of dropping to zero. */
export function toTelemetryRows(points: readonly TelemetryPointDto[], bucketS: number): TelemetryRow[] {
  const minutes = Math.max(1, bucketS / 60);
  return points.map((p) => ({
    t: Date.parse(p.start),
    requests: p.count,
    rpm: Math.round((p.count / minutes) * 100) / 100,
    errorPct: p.count > 0 ? pct(p.errorRate) : null,
    p50: p.count > 0 ? p.p50Ms : null,
    p95: p.count > 0 ? p.p95Ms : null,
    accuracyPct: p.labelled > 0 ? pct(p.accuracy) : null,
    labelled: p.labelled,
  }));
}

/** An x-axis tick: times for short windows, day + time for a week. */
export function formatTick(t: number, window: TelemetryWindow): string {
  const d = new Date(t);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  if (window === '7d') return `${d.getMonth() + 1}/${d.getDate()} ${hm}`;
  return hm;
}

export interface ChartMarker {
  t: number;
  label: string;
  tone: 'info' | 'ok' | 'bad' | 'warn';
}

type RolloutLike = Pick<RolloutDto, 'status' | 'createdAt' | 'finishedAt' | 'version'> & { waves: Pick<RolloutDto['waves'][number], 'index' | 'switchedAt'>[] };

/** Rollouts of a version as vertical markers on its charts: start, each wave's switch, and the end, inside [from, to]. */
export function rolloutMarkers(rollouts: readonly RolloutLike[], versionId: string, from: number, to: number): ChartMarker[] {
  const markers: ChartMarker[] = [];
  for (const r of rollouts) {
    if (r.version.id !== versionId) continue;
    markers.push({ t: Date.parse(r.createdAt), label: 'rollout', tone: 'info' });
    for (const w of r.waves) if (w.switchedAt && w.index > 0) markers.push({ t: Date.parse(w.switchedAt), label: `wave ${w.index + 1}`, tone: 'info' });
    if (r.finishedAt) {
      const bad = r.status === 'rolled_back' || r.status === 'rolling_back';
      markers.push({ t: Date.parse(r.finishedAt), label: r.status.replace('_', ' '), tone: bad ? 'bad' : r.status === 'completed' ? 'ok' : 'warn' });
    }
  }
  return markers.filter((m) => Number.isFinite(m.t) && m.t >= from && m.t <= to).sort((a, b) => a.t - b.t);
}

export interface MarkerLabelPlacement {
  /** Text right of the line, or left of it near the chart's right edge (where it would be cut off). */
  position: 'insideTopLeft' | 'insideTopRight';
  /** Downward offset in px: markers close together stack their labels instead of printing over each other. */
  dy: number;
}

const CLOSE_FRACTION = 0.12;
const LINE_PX = 11;

/** Where to print each marker's label on an axis from `min` to `max` (markers sorted by time). */
export function placeMarkerLabels(markers: readonly Pick<ChartMarker, 't'>[], min: number, max: number): MarkerLabelPlacement[] {
  const span = Math.max(1, max - min);
  let level = 0;
  return markers.map((m, i) => {
    const prev = markers[i - 1];
    level = prev && (m.t - prev.t) / span < CLOSE_FRACTION ? level + 1 : 0;
    return { position: (m.t - min) / span > 1 - CLOSE_FRACTION ? 'insideTopRight' : 'insideTopLeft', dy: level * LINE_PX };
  });
}
