import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cumulativeWaveSizes, orderDevices, planWaves, wavePercents } from './plan.js';

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());

describe('orderDevices', () => {
  it('is deterministic, a permutation, and independent of the input order', () => {
    const rollout = randomUUID();
    const devices = ids(50);
    const a = orderDevices(rollout, devices);
    expect([...a].sort()).toEqual([...devices].sort());
    expect(orderDevices(rollout, [...devices].reverse())).toEqual(a);
  });

  it('differs between rollouts, so the same devices are not always the canaries', () => {
    const devices = ids(50);
    expect(orderDevices(randomUUID(), devices)).not.toEqual(orderDevices(randomUUID(), devices));
  });
});

describe('cumulativeWaveSizes', () => {
  it('uses ceil of the cumulative share, the last wave taking everything', () => {
    expect(cumulativeWaveSizes(100, [5, 25, 100])).toEqual([5, 25, 100]);
    expect(cumulativeWaveSizes(10, [5, 25, 100])).toEqual([1, 3, 10]);
    expect(cumulativeWaveSizes(7, [33.3, 66.6, 100])).toEqual([3, 5, 7]);
  });

  it('puts at least one device in the first wave and never shrinks', () => {
    expect(cumulativeWaveSizes(3, [5, 25, 100])).toEqual([1, 1, 3]);
    expect(cumulativeWaveSizes(1, [0.1, 50, 100])).toEqual([1, 1, 1]);
    expect(cumulativeWaveSizes(1000, [0.1, 100])).toEqual([1, 1000]);
  });

  it('does not round a whole share up by floating-point noise', () => {
    // 250 × 64.4 / 100 is 161.00000000000003 in floating point
    expect(cumulativeWaveSizes(250, [64.4, 100])).toEqual([161, 250]);
  });

  it('has nothing to plan without devices', () => {
    expect(cumulativeWaveSizes(0, [5, 100])).toEqual([0, 0]);
  });
});

describe('planWaves', () => {
  it('assigns each device one wave, in rollout order, with the planned sizes', () => {
    const rollout = randomUUID();
    const devices = ids(20);
    const plan = planWaves(rollout, devices, [10, 50, 100]);
    const order = orderDevices(rollout, devices);
    expect(order.map((d) => plan.get(d))).toEqual([...Array(2).fill(0), ...Array(8).fill(1), ...Array(10).fill(2)]);
  });

  it('plans all-at-once as one wave of everything', () => {
    expect(wavePercents({ kind: 'all-at-once' })).toEqual([100]);
    expect(wavePercents({ kind: 'canary', waves: [5, 100], bakeTimeS: 0 })).toEqual([5, 100]);
    const plan = planWaves(randomUUID(), ids(5), [100]);
    expect([...plan.values()]).toEqual([0, 0, 0, 0, 0]);
  });
});
