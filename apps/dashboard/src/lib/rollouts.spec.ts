import { describe, expect, it } from 'vitest';
import { actionsFor, defaultRolloutForm, lastEventId, mergeEvents, previewRollout, describeStrategy, describeTarget, deviceStateSegments, formatGateValue, parseWaves, sortRollouts, validateRolloutForm } from './rollouts';

const MODEL = '00000000-0000-4000-8000-000000000001';

describe('parseWaves', () => {
  it('accepts increasing percentages ending at 100, with % signs and arrows', () => {
    expect(parseWaves('5, 25, 100')).toEqual({ ok: true, value: [5, 25, 100] });
    expect(parseWaves('0.5% → 10% → 100%')).toEqual({ ok: true, value: [0.5, 10, 100] });
    expect(parseWaves('100')).toEqual({ ok: true, value: [100] });
  });
  it('refuses what the API would', () => {
    expect(parseWaves('')).toMatchObject({ ok: false });
    expect(parseWaves('5, 25')).toEqual({ ok: false, error: 'the last wave must be 100' });
    expect(parseWaves('25, 5, 100')).toEqual({ ok: false, error: 'waves must increase' });
    expect(parseWaves('0, 100')).toMatchObject({ ok: false });
    expect(parseWaves('x, 100')).toMatchObject({ ok: false });
    expect(parseWaves('1,2,3,4,5,6,7,8,9,10,100')).toEqual({ ok: false, error: 'at most 10 waves' });
  });
});

describe('validateRolloutForm', () => {
  it('builds a canary request with fractions from the percentage inputs', () => {
    const r = validateRolloutForm({ ...defaultRolloutForm(MODEL, '2'), targetKind: 'tags', tags: 'cam, eu', accuracyOn: true, shadowOn: true, maxDevicesPerMinute: '20', note: ' first ' });
    expect(r).toEqual({
      ok: true,
      value: {
        modelId: MODEL,
        version: 2,
        target: { tags: ['cam', 'eu'] },
        strategy: { kind: 'canary', waves: [5, 25, 100], bakeTimeS: 600, maxDevicesPerMinute: 20 },
        gates: {
          errorRate: { maxIncrease: 0.02, minRequests: 50 },
          latencyP95: { maxRatio: 1.5, minRequests: 50 },
          accuracy: { maxDrop: 0.05, minLabelled: 30 },
          health: { maxFailures: 0 },
          shadow: { sampleRate: 0.25, minSamples: 50, minAgreement: 0.9 },
          inconclusiveTimeoutS: 1800,
        },
        supersede: false,
        note: 'first',
      },
    });
  });
  it('sends gates that are off as null and all-at-once without waves', () => {
    const r = validateRolloutForm({ ...defaultRolloutForm(MODEL, 'latest'), strategy: 'all-at-once', errorRateOn: false, latencyOn: false, waves: 'garbage', supersede: true });
    expect(r.ok && r.value).toMatchObject({ version: 'latest', target: { all: true }, strategy: { kind: 'all-at-once' }, gates: { errorRate: null, latencyP95: null, accuracy: null, shadow: null }, supersede: true });
  });
  it('lists every bad field', () => {
    const r = validateRolloutForm({ ...defaultRolloutForm('', ''), targetKind: 'group', waves: '50', bakeTimeS: '-1', latencyMaxRatio: '0.5' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['bakeTimeS', 'group', 'latencyMaxRatio', 'modelId', 'version', 'waves']);
  });
});

describe('sortRollouts', () => {
  it('puts active rollouts first, newest first within each group', () => {
    const r = (status: any, createdAt: string) => ({ status, createdAt });
    const sorted = sortRollouts([r('completed', '2026-01-03'), r('paused', '2026-01-01'), r('running', '2026-01-02'), r('rolled_back', '2026-01-04'), r('running', '2026-01-05')]);
    expect(sorted.map((x) => `${x.status}@${x.createdAt}`)).toEqual(['running@2026-01-05', 'running@2026-01-02', 'paused@2026-01-01', 'rolled_back@2026-01-04', 'completed@2026-01-03']);
  });
});

describe('rollout presentation', () => {
  it('offers the actions each status allows', () => {
    expect(actionsFor('running')).toEqual(['pause', 'abort']);
    expect(actionsFor('paused')).toEqual(['resume', 'abort']);
    expect(actionsFor('completed')).toEqual(['rollback']);
    expect(actionsFor('rolled_back')).toEqual([]);
  });
  it('formats each gate in its unit', () => {
    expect(formatGateValue('errorRate', 0.0123)).toBe('1.23%');
    expect(formatGateValue('latencyP95', 12.5)).toBe('12.5 ms');
    expect(formatGateValue('health', 2)).toBe('2');
    expect(formatGateValue('shadow', null)).toBe('–');
  });
  it('splits device counts into bar segments', () => {
    const { total, segments } = deviceStateSegments({ running: 3, pending: 1, failed: 0 });
    expect(total).toBe(4);
    expect(segments.map((s) => [s.state, s.fraction])).toEqual([
      ['running', 0.75],
      ['pending', 0.25],
    ]);
  });
  it('describes targets and strategies', () => {
    expect(describeTarget({ all: true })).toBe('whole fleet');
    expect(describeTarget({ group: 'a', tags: ['x', 'y'] })).toBe('group a, tags x + y');
    expect(describeStrategy({ kind: 'canary', waves: [5, 100], bakeTimeS: 60, maxDevicesPerMinute: 10 })).toBe('canary 5% → 100%, bake 60 s, ≤ 10/min');
  });
});

describe('mergeEvents', () => {
  it('keeps history newest first without duplicates, and finds the cursor numerically', () => {
    const held = mergeEvents([], [{ id: '9' }, { id: '8' }]);
    const next = mergeEvents(held, [{ id: '10' }, { id: '9' }]);
    expect(next.map((e) => e.id)).toEqual(['10', '9', '8']);
    expect(lastEventId(next)).toBe('10');
    expect(lastEventId([])).toBeUndefined();
  });
});

describe('previewRollout', () => {
  const dev = (profile: string | null, over: Record<string, unknown> = {}) => ({ status: 'online' as const, group: 'g', tags: [], assignment: null, profile: profile ? { slug: profile } : null, ...over });
  const variant = (slug: string, recipe: string, recommended = true) => ({ profile: { slug }, recipe: { id: recipe }, recommended });
  it('groups devices by profile and variant, and lists the skipped with the API’s reasons', () => {
    const rows = previewRollout(
      [
        dev('arm'),
        dev('arm'),
        dev('arm', { assignment: { versionId: 'v2' } }),
        dev('gpu'),
        dev('mcu'),
        dev(null),
        dev('arm', { status: 'revoked' }),
      ],
      [variant('arm', 'int8-dyn'), variant('arm', 'fp32', false), variant('gpu', 'fp16'), variant('mcu', 'int8', false)],
      'v2',
    );
    expect(rows).toEqual([
      { profile: 'arm', devices: 2, recipe: 'int8-dyn', skipReason: null },
      { profile: 'gpu', devices: 1, recipe: 'fp16', skipReason: null },
      { profile: null, devices: 1, recipe: null, skipReason: 'no hardware profile' },
      { profile: 'arm', devices: 1, recipe: null, skipReason: 'already assigned this version' },
      { profile: 'mcu', devices: 1, recipe: null, skipReason: 'no recommended variant for this profile' },
    ]);
  });
});
