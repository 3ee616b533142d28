// The percentile math is shared with the rollout latency gate, so both report the same figures.
export { histogramQuantile } from '@edgefleet/contracts';

/** `90s`, `5m`, `1h`, `7d` → seconds. */
export function parseDurationS(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
