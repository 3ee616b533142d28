import type { DeviceDto } from '@edgefleet/contracts';
import { describe, expect, it } from 'vitest';
import { factRows, parseTags, validateDeviceEdit, validateTokenForm } from './devices';
import { formatBytes } from './format';

const device = (over: Partial<DeviceDto> = {}): DeviceDto => ({
  id: '00000000-0000-4000-8000-000000000001',
  name: 'cam-1',
  group: 'plant-a',
  tags: ['line-1'],
  profile: { id: '00000000-0000-4000-8000-000000000002', slug: 'arm64-cpu-int8' },
  facts: { v: 1, arch: 'aarch64', cpuModel: 'Cortex-A72', cpuCores: 4, ramBytes: 4 * 1024 ** 3, accelerators: [], os: 'Linux', onnxruntimeVersion: '1.22.0', agentVersion: '0.1.0' },
  status: 'online',
  health: 'ok',
  running: null,
  lastError: null,
  assignment: null,
  lastSeenAt: null,
  revokedAt: null,
  createdAt: '',
  updatedAt: '',
  ...over,
});

describe('parseTags', () => {
  it('splits on commas and spaces and drops duplicates', () => {
    expect(parseTags(' a, b,,a  c ')).toEqual(['a', 'b', 'c']);
    expect(parseTags('')).toEqual([]);
  });
});

describe('validateTokenForm', () => {
  it('builds the request, defaulting the group and converting hours to seconds', () => {
    expect(validateTokenForm({ name: ' line ', group: '', tags: 'x, y', expiresInH: '1.5', maxUses: '10' })).toEqual({
      ok: true,
      value: { name: 'line', group: 'default', tags: ['x', 'y'], expiresInS: 5400, maxUses: 10 },
    });
    expect(validateTokenForm({ name: 'n', group: 'g', tags: '', expiresInH: '', maxUses: '' })).toEqual({ ok: true, value: { name: 'n', group: 'g', tags: [] } });
  });
  it('reports every bad field', () => {
    const r = validateTokenForm({ name: '', group: '-bad', tags: 'ok, no/slash', expiresInH: '-1', maxUses: '1.5' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['expiresInH', 'group', 'maxUses', 'name', 'tags']);
  });
});

describe('validateDeviceEdit', () => {
  it('sends only what changed; null when nothing did', () => {
    const d = device();
    expect(validateDeviceEdit(d, { name: 'cam-1', group: 'plant-a', tags: 'line-1', profile: 'arm64-cpu-int8' })).toEqual({ ok: true, value: null });
    expect(validateDeviceEdit(d, { name: 'cam-1', group: 'plant-b', tags: 'line-1 hot', profile: '' })).toEqual({
      ok: true,
      value: { group: 'plant-b', tags: ['line-1', 'hot'], profile: null },
    });
  });
  it('refuses an empty name and a bad group', () => {
    const r = validateDeviceEdit(device(), { name: ' ', group: 'a b', tags: '', profile: '' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['group', 'name']);
  });
});

describe('factRows', () => {
  it('lists accelerators with their memory', () => {
    const rows = factRows({ ...device().facts, accelerators: [{ kind: 'gpu', name: 'Orin', memoryBytes: 8 * 1024 ** 3 }] }, (n) => formatBytes(n));
    expect(Object.fromEntries(rows)).toMatchObject({ RAM: '4.0 GiB', Accelerators: 'gpu: Orin (8.0 GiB)', CPU: 'Cortex-A72 · 4 cores' });
  });
});
