import type { DeviceHistoryItem, HistoryVersion } from '@edgefleet/contracts';
import { describe, expect, it } from 'vitest';
import { describeChanges, describeHistoryItem, versionHref, versionLabel } from './device-history';

const MODEL = '00000000-0000-4000-8000-000000000001';
const ROLLOUT = '00000000-0000-4000-8000-000000000009';
const v = (number: number, modelId = MODEL): HistoryVersion => ({ id: `00000000-0000-4000-8000-00000000010${number}`, number, modelId, modelName: 'lenet' });

const device = (over: Partial<DeviceHistoryItem & { source: 'device' }>): DeviceHistoryItem => ({
  source: 'device',
  id: 'd1',
  at: '2026-11-28T09:00:00.000Z',
  kind: 'enrolled',
  actor: 'device',
  version: null,
  fromVersion: null,
  message: null,
  data: null,
  ...over,
});
const rollout = (over: Partial<DeviceHistoryItem & { source: 'rollout' }>): DeviceHistoryItem => ({
  source: 'rollout',
  id: 'r1',
  at: '2026-11-28T09:00:00.000Z',
  kind: 'device',
  actor: 'system',
  version: v(2),
  rolloutId: ROLLOUT,
  from: 'pending',
  to: 'assigned',
  message: null,
  data: null,
  ...over,
});

describe('versions', () => {
  it('label and link to the version page by model and number', () => {
    expect(versionLabel(v(3))).toBe('lenet v3');
    expect(versionHref(v(3))).toBe(`/models/${MODEL}/versions/3`);
  });
});

describe('describeHistoryItem', () => {
  it('names the token and the matched profile of an enrollment', () => {
    expect(describeHistoryItem(device({ data: { tokenName: 'line-7', profile: 'cpu-arm64' } }))).toMatchObject({ title: 'Enrolled', tone: 'ok', detail: 'token “line-7” · profile cpu-arm64' });
    expect(describeHistoryItem(device({ data: { tokenName: 'line-7', profile: null } })).detail).toBe('token “line-7” · profile none matched');
  });

  it('shows what an assignment replaced and who asked', () => {
    const line = describeHistoryItem(device({ kind: 'assigned', version: v(2), fromVersion: v(1), data: { assignedBy: 'ci' } }));
    expect(line).toMatchObject({ title: 'Assigned', version: v(2), fromLabel: 'replacing', fromVersion: v(1), detail: 'assigned by ci' });
    expect(describeHistoryItem(device({ kind: 'assigned', version: v(1) }))).toMatchObject({ fromLabel: null, fromVersion: null, detail: null });
    expect(describeHistoryItem(device({ kind: 'unassigned', fromVersion: v(1) }))).toMatchObject({ title: 'Assignment cleared', fromLabel: 'was', fromVersion: v(1) });
  });

  it('tells a first start, an upgrade, a fall back and a stop apart', () => {
    expect(describeHistoryItem(device({ kind: 'running.changed', version: v(1) }))).toMatchObject({ title: 'Started running', version: v(1), fromVersion: null });
    expect(describeHistoryItem(device({ kind: 'running.changed', version: v(2), fromVersion: v(1) }))).toMatchObject({ title: 'Switched to', tone: 'info', fromLabel: 'from' });
    expect(describeHistoryItem(device({ kind: 'running.changed', version: v(1), fromVersion: v(2) }))).toMatchObject({ title: 'Fell back to', tone: 'warn', fromVersion: v(2) });
    // Another model's lower number is a switch, not a fall back.
    expect(describeHistoryItem(device({ kind: 'running.changed', version: v(1, ROLLOUT), fromVersion: v(2) })).title).toBe('Switched to');
    expect(describeHistoryItem(device({ kind: 'running.changed', fromVersion: v(2), data: { variantId: null } }))).toMatchObject({ title: 'Stopped running', version: v(2) });
    expect(describeHistoryItem(device({ kind: 'running.changed', data: { variantId: 'x' } })).title).toBe('Now runs an unknown version');
  });

  it('puts the error code and message of a health report together, and names recovery', () => {
    expect(describeHistoryItem(device({ kind: 'error.reported', message: 'sha mismatch', version: v(2), data: { health: 'failing', code: 'install_failed' } }))).toMatchObject({
      title: 'Reported failing',
      tone: 'bad',
      version: v(2),
      detail: 'install_failed: sha mismatch',
    });
    expect(describeHistoryItem(device({ kind: 'error.reported', data: { health: 'degraded' } }))).toMatchObject({ title: 'Reported degraded', tone: 'warn', detail: null });
    expect(describeHistoryItem(device({ kind: 'recovered', data: { from: 'failing' } }))).toMatchObject({ title: 'Recovered', tone: 'ok', detail: 'healthy again (was failing)' });
    expect(describeHistoryItem(device({ kind: 'revoked' }))).toMatchObject({ title: 'Revoked', tone: 'bad' });
  });

  it('links rollout transitions to their rollout, with their states and reason', () => {
    expect(describeHistoryItem(rollout({}))).toMatchObject({ title: 'Rollout: pending → assigned', rolloutId: ROLLOUT, version: v(2), tone: 'info' });
    expect(describeHistoryItem(rollout({ from: 'assigned', to: 'rolled_back', message: 'error rate' }))).toMatchObject({ title: 'Rollout: assigned → rolled back', tone: 'bad', detail: 'error rate' });
    expect(describeHistoryItem(rollout({ kind: 'wave.started', from: null, to: null })).title).toBe('Rollout wave started');
  });
});

describe('describeChanges', () => {
  it('lists each changed field from → to, with empty values named', () => {
    expect(describeChanges({ changes: { name: { from: 'a', to: 'b' }, tags: { from: [], to: ['x', 'y'] }, profile: { from: 'cpu', to: null } } })).toBe(
      'name a → b; tags (none) → x, y; profile cpu → (none)',
    );
    expect(describeChanges(null)).toBeNull();
    expect(describeChanges({ changes: {} })).toBeNull();
  });
});
