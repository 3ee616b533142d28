import { RolloutGates } from '@edgefleet/contracts';
import { describe, expect, it } from 'vitest';
import {
  accuracyGate,
  combine,
  emptyRequests,
  errorRateGate,
  failFast,
  healthGate,
  histogramQuantile,
  judgeWave,
  latencyGate,
  type RequestStats,
  shadowGate,
  type WaveStats,
} from './gates.js';

/** `n` requests, `errors` of them failed, all in one latency bucket (index into LATENCY_BUCKETS_MS). */
const requests = (n: number, errors = 0, bucket = 3): RequestStats => {
  const s = emptyRequests();
  s.count = n;
  s.errors = errors;
  s.histogram[bucket] = n;
  return s;
};
const at = new Date('2026-11-28T06:00:00Z');
const defaults = RolloutGates.parse({});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket holding the rank', () => {
    // 100 requests between 5 and 10 ms: p95 at 95 % of that bucket
    expect(histogramQuantile(0.95, requests(100, 0, 3).histogram)).toBe(9.75);
    expect(histogramQuantile(0.95, emptyRequests().histogram)).toBeNull();
  });
});

describe('errorRateGate', () => {
  const gate = { maxIncrease: 0.02, minRequests: 50 };
  it('passes within baseline + maxIncrease', () => {
    const r = errorRateGate(gate, requests(100, 3), requests(1000, 10));
    expect(r).toMatchObject({ verdict: 'pass', observed: 0.03, baseline: 0.01, threshold: 0.03, samples: 100 });
  });
  it('fails above it', () => {
    expect(errorRateGate(gate, requests(100, 4), requests(1000, 10))).toMatchObject({ verdict: 'fail', observed: 0.04 });
  });
  it('is inconclusive with too few requests, however bad they look', () => {
    expect(errorRateGate(gate, requests(49, 49), requests(1000, 0))).toMatchObject({ verdict: 'inconclusive', samples: 49 });
  });
  it('treats a missing baseline as error-free (maxIncrease is then absolute)', () => {
    expect(errorRateGate(gate, requests(100, 2), null)).toMatchObject({ verdict: 'pass', baseline: null, threshold: 0.02 });
    expect(errorRateGate(gate, requests(100, 3), null)).toMatchObject({ verdict: 'fail' });
  });
});

describe('latencyGate', () => {
  const gate = { maxRatio: 1.5, minRequests: 50 };
  it('passes within maxRatio × baseline p95', () => {
    expect(latencyGate(gate, requests(100, 0, 3), requests(100, 0, 3))).toMatchObject({ verdict: 'pass', observed: 9.75, baseline: 9.75 });
  });
  it('fails above it', () => {
    // 20–50 ms against 5–10 ms
    expect(latencyGate(gate, requests(100, 0, 5), requests(100, 0, 3))).toMatchObject({
      verdict: 'fail',
      observed: 48.5,
      threshold: 14.625,
    });
  });
  it('is inconclusive with too few requests', () => {
    expect(latencyGate(gate, requests(10, 0, 9), requests(100))).toMatchObject({ verdict: 'inconclusive' });
  });
  it('passes without a baseline to compare with', () => {
    expect(latencyGate(gate, requests(100, 0, 9), null)).toMatchObject({ verdict: 'pass', threshold: null });
  });
});

describe('accuracyGate', () => {
  const gate = { maxDrop: 0.05, minLabelled: 30 };
  it('passes within maxDrop of the baseline', () => {
    expect(accuracyGate(gate, { labelled: 100, correct: 93 }, { labelled: 100, correct: 97 })).toMatchObject({
      verdict: 'pass',
      observed: 0.93,
      threshold: 0.92,
    });
  });
  it('fails when accuracy drops by more (10 points)', () => {
    expect(accuracyGate(gate, { labelled: 100, correct: 87 }, { labelled: 100, correct: 97 })).toMatchObject({
      verdict: 'fail',
      observed: 0.87,
      baseline: 0.97,
    });
  });
  it('is inconclusive until enough labels arrive', () => {
    expect(accuracyGate(gate, { labelled: 29, correct: 0 }, { labelled: 100, correct: 97 })).toMatchObject({
      verdict: 'inconclusive',
      samples: 29,
    });
  });
  it('passes without a baseline', () => {
    expect(accuracyGate(gate, { labelled: 40, correct: 20 }, null)).toMatchObject({ verdict: 'pass', baseline: null });
  });
});

describe('healthGate', () => {
  it('fails over maxFailures and names the devices', () => {
    const r = healthGate({ maxFailures: 0 }, { devices: 5, failures: 2, details: ['a: install/failed', 'b: health failing'] }, 'v7');
    expect(r.verdict).toBe('fail');
    expect(r.reason).toContain('2 device(s) failed v7');
    expect(r.reason).toContain('a: install/failed');
  });
  it('passes at or under the limit', () => {
    expect(healthGate({ maxFailures: 1 }, { devices: 5, failures: 1, details: ['a'] }).verdict).toBe('pass');
    expect(healthGate({ maxFailures: 0 }, { devices: 0, failures: 0, details: [] }).verdict).toBe('pass');
  });
  it('is inconclusive while online devices have not reported running the candidate, unless something already failed', () => {
    expect(healthGate({ maxFailures: 0 }, { devices: 5, failures: 0, details: [], awaiting: 2 }, 'v7')).toMatchObject({
      verdict: 'inconclusive',
      reason: '2 of 5 device(s) have not reported running v7 yet',
    });
    expect(healthGate({ maxFailures: 0 }, { devices: 5, failures: 1, details: ['a'], awaiting: 2 }).verdict).toBe('fail');
  });
});

describe('shadowGate', () => {
  const gate = { sampleRate: 0.25, minSamples: 50, minAgreement: 0.9 };
  const shadow = (samples: number, agree: number, devices = 2) => ({
    devices,
    samples,
    top1Agree: agree,
    cosineSum: samples * 0.9,
    candidateErrors: 0,
  });
  it('passes at or above minAgreement', () => {
    expect(shadowGate(gate, shadow(100, 90))).toMatchObject({ verdict: 'pass', observed: 0.9 });
  });
  it('fails below it (60 % agreement)', () => {
    expect(shadowGate(gate, shadow(100, 60))).toMatchObject({ verdict: 'fail', observed: 0.6, threshold: 0.9 });
  });
  it('is inconclusive until minSamples', () => {
    expect(shadowGate(gate, shadow(49, 49))).toMatchObject({ verdict: 'inconclusive' });
  });
  it('passes when no device of the wave can shadow (nothing served to compare with)', () => {
    expect(shadowGate(gate, shadow(0, 0, 0))).toMatchObject({ verdict: 'pass', samples: 0 });
  });
});

describe('judgeWave', () => {
  const stats = (over: Partial<WaveStats> = {}): WaveStats => ({
    candidate: requests(100, 1),
    baseline: requests(100, 1),
    candidateAccuracy: { labelled: 0, correct: 0 },
    baselineAccuracy: null,
    health: { devices: 3, failures: 0, details: [] },
    ...over,
  });

  it('passes when every enabled gate passes; disabled gates are not judged', () => {
    const v = judgeWave(defaults, stats(), at);
    expect(v.verdict).toBe('pass');
    expect(v.gates.map((g) => g.gate)).toEqual(['health', 'errorRate', 'latencyP95']);
    expect(v.at).toBe(at.toISOString());
  });

  it('fails when any gate fails, even with others inconclusive', () => {
    const gates = RolloutGates.parse({ accuracy: {} });
    const v = judgeWave(gates, stats({ health: { devices: 3, failures: 1, details: ['x'] } }), at);
    expect(v.verdict).toBe('fail');
    expect(v.gates.find((g) => g.gate === 'accuracy')?.verdict).toBe('inconclusive');
  });

  it('is inconclusive when nothing fails but some gate lacks data', () => {
    expect(judgeWave(defaults, stats({ candidate: requests(10) }), at).verdict).toBe('inconclusive');
  });

  it('combine: fail over inconclusive over pass', () => {
    const pass = healthGate({ maxFailures: 0 }, { devices: 1, failures: 0, details: [] });
    const fail = { ...pass, verdict: 'fail' as const };
    const inc = { ...pass, verdict: 'inconclusive' as const };
    expect(combine([pass, inc], at).verdict).toBe('inconclusive');
    expect(combine([inc, fail, pass], at).verdict).toBe('fail');
    expect(combine([], at).verdict).toBe('pass');
  });
});

describe('failFast', () => {
  it('reports only failures: health at once, error rate once enough requests arrived', () => {
    const base = { candidate: requests(10, 10), baseline: null, health: { devices: 2, failures: 0, details: [] } };
    expect(failFast(defaults, base)).toEqual([]);
    expect(failFast(defaults, { ...base, candidate: requests(50, 10) }).map((g) => g.gate)).toEqual(['errorRate']);
    expect(failFast(defaults, { ...base, health: { devices: 2, failures: 1, details: ['d'] } }).map((g) => g.gate)).toEqual(['health']);
  });
  it('skips the error rate when that gate is off', () => {
    const gates = RolloutGates.parse({ errorRate: null });
    expect(failFast(gates, { candidate: requests(500, 500), baseline: null, health: { devices: 1, failures: 0, details: [] } })).toEqual(
      [],
    );
  });
});
