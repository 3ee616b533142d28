import { createHash } from 'node:crypto';
import type { RolloutStrategy } from '@edgefleet/contracts';

/**
 * The order in which a rollout reaches its devices: by sha256(rolloutId + deviceId). Deterministic (a restart
 * plans the same waves), independent of enrollment order, and different per rollout, so the same devices are
 * not always the canaries.
 */
export function orderDevices(rolloutId: string, deviceIds: readonly string[]): string[] {
  const key = (id: string) => createHash('sha256').update(`${rolloutId.toLowerCase()}${id.toLowerCase()}`).digest('hex');
  return deviceIds
    .map((id) => ({ id, k: key(id) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.id < b.id ? -1 : 1))
    .map((x) => x.id);
}

/** The cumulative percentages of a strategy's waves: all-at-once is one wave of 100 %. */
export function wavePercents(strategy: RolloutStrategy): number[] {
  return strategy.kind === 'canary' ? [...strategy.waves] : [100];
}

/**
 * Cumulative device counts per wave: `ceil(total × percent / 100)`, at least one device in the first wave
 * (when there is any), never decreasing, the last one `total`. A wave may add no device (3 devices at
 * 5 % → 25 % → 100 % give 1, 1, 3); such a wave passes at once.
 */
export function cumulativeWaveSizes(total: number, percents: readonly number[]): number[] {
  let previous = 0;
  return percents.map((p, i) => {
    let n = i === percents.length - 1 ? total : Math.min(total, Math.ceil((total * p) / 100 - 1e-9));
    if (i === 0 && total > 0) n = Math.max(1, n);
    n = Math.max(previous, n);
    previous = n;
    return n;
  });
}

/** deviceId → wave index, for the devices in rollout order. */
export function planWaves(rolloutId: string, deviceIds: readonly string[], percents: readonly number[]): Map<string, number> {
  const ordered = orderDevices(rolloutId, deviceIds);
  const sizes = cumulativeWaveSizes(ordered.length, percents);
  const out = new Map<string, number>();
  let wave = 0;
  ordered.forEach((id, i) => {
    while (i >= sizes[wave]!) wave++;
    out.set(id, wave);
  });
  return out;
}
