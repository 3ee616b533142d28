import type { HardwareProfileDto } from '@edgefleet/contracts';
import { describe, expect, it } from 'vitest';
import { profileFormInput, validateProfileForm } from './profiles';

const profile = (over: Partial<HardwareProfileDto> = {}): HardwareProfileDto => ({
  id: '00000000-0000-4000-8000-000000000001',
  slug: 'arm64-cpu-int8',
  name: 'ARM64 CPU int8',
  description: '',
  precisions: ['int8', 'fp32'],
  optimizationLevel: 'extended',
  threads: 4,
  maxModelBytes: 8 * 1024 * 1024,
  maxLatencyMs: 20,
  accuracyBudget: { maxDropPoints: 1 },
  objective: 'latency',
  builtin: true,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

describe(validateProfileForm.name, () => {
  it('sends nothing when nothing changed', () => {
    const p = profile();
    expect(validateProfileForm(p, profileFormInput(p))).toEqual({ ok: true, value: null });
  });

  it('sends only the changed fields, in API units', () => {
    const p = profile();
    const input = { ...profileFormInput(p), threads: '2', maxModelMiB: '', minAgreementPct: '97.5' };
    expect(validateProfileForm(p, input)).toEqual({
      ok: true,
      value: { threads: 2, maxModelBytes: null, accuracyBudget: { maxDropPoints: 1, minAgreement: 0.975 } },
    });
  });

  it('keeps precisions in a stable order', () => {
    const p = profile();
    expect(validateProfileForm(p, { ...profileFormInput(p), precisions: ['fp16', 'fp32'] })).toEqual({ ok: true, value: { precisions: ['fp32', 'fp16'] } });
  });

  it('refuses bad values, and an accuracy budget with nothing in it', () => {
    const p = profile();
    const r = validateProfileForm(p, { ...profileFormInput(p), name: ' ', threads: '0', maxLatencyMs: '-1', precisions: [], maxDropPoints: '', minAgreementPct: '' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['maxDropPoints', 'maxLatencyMs', 'name', 'precisions', 'threads']);
  });
});
