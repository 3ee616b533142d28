import type { TelemetryPointDto } from '@edgefleet/contracts';
import { describe, expect, it } from 'vitest';
import { isTelemetryWindow, placeMarkerLabels, rolloutMarkers, toTelemetryRows } from './telemetry';

const point = (over: Partial<TelemetryPointDto>): TelemetryPointDto => ({
  start: '2026-01-01T00:00:00.000Z',
  count: 0,
  errors: 0,
  errorRate: null,
  p50Ms: null,
  p95Ms: null,
  labelled: 0,
  accuracy: null,
  ...over,
});

describe('toTelemetryRows', () => {
  it('turns fractions into percentages and counts into a per-minute rate', () => {
    const [row] = toTelemetryRows([point({ count: 300, errors: 3, errorRate: 0.01, p50Ms: 5, p95Ms: 20, labelled: 8, accuracy: 0.875 })], 300);
    expect(row).toEqual({ t: Date.parse('2026-01-01T00:00:00.000Z'), requests: 300, rpm: 60, errorPct: 1, p50: 5, p95: 20, accuracyPct: 87.5, labelled: 8 });
  });
  it('leaves empty buckets null so the lines break', () => {
    const [row] = toTelemetryRows([point({ errorRate: 0, p50Ms: 0 })], 60);
    expect(row).toMatchObject({ requests: 0, rpm: 0, errorPct: null, p50: null, p95: null, accuracyPct: null });
  });
});

describe('isTelemetryWindow', () => {
  it('accepts only the offered windows', () => {
    expect(isTelemetryWindow('24h')).toBe(true);
    expect(isTelemetryWindow('2h')).toBe(false);
    expect(isTelemetryWindow('toString')).toBe(false);
    expect(isTelemetryWindow(null)).toBe(false);
  });
});

describe('rolloutMarkers', () => {
  const at = (m: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + m * 60_000).toISOString();
  it('marks start, later waves and the end of the version’s rollouts inside the window', () => {
    const rollouts = [
      { status: 'rolled_back' as const, createdAt: at(10), finishedAt: at(40), version: { id: 'v2', number: 2, semver: null }, waves: [{ index: 0, switchedAt: at(11) }, { index: 1, switchedAt: at(30) }] },
      { status: 'completed' as const, createdAt: at(5), finishedAt: at(6), version: { id: 'v1', number: 1, semver: null }, waves: [] },
      { status: 'running' as const, createdAt: at(-100), finishedAt: null, version: { id: 'v2', number: 2, semver: null }, waves: [] },
    ];
    expect(rolloutMarkers(rollouts, 'v2', Date.parse(at(0)), Date.parse(at(60))).map((m) => [m.label, m.tone])).toEqual([
      ['rollout', 'info'],
      ['wave 2', 'info'],
      ['rolled back', 'bad'],
    ]);
  });
});

describe('placeMarkerLabels', () => {
  it('stacks labels of markers close together and keeps those near the right edge inside the chart', () => {
    const placed = placeMarkerLabels([{ t: 0 }, { t: 500 }, { t: 950 }, { t: 960 }, { t: 990 }], 0, 1000);
    expect(placed).toEqual([
      { position: 'insideTopLeft', dy: 0 },
      { position: 'insideTopLeft', dy: 0 },
      { position: 'insideTopRight', dy: 0 },
      { position: 'insideTopRight', dy: 11 },
      { position: 'insideTopRight', dy: 22 },
    ]);
  });
});
