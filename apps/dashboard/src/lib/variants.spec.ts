import type { HardwareProfileDto } from '@edgefleet/contracts';
import { describe, expect, it } from 'vitest';
import { newVariant } from '../test/factories';
import { groupVariantsByProfile, variantMetrics, variantsFromResponse } from './variants';

const profile = (slug: string) => ({ id: `p-${slug}`, slug, name: slug.toUpperCase() }) as HardwareProfileDto;

describe(variantMetrics.name, () => {
  it('reads size, ratio, latency and labelled accuracy', () => {
    const m = variantMetrics(newVariant({ bytes: 250, top1: 0.91, latency: 4.2 }), 1000);
    expect(m).toEqual({ bytes: 250, sizeRatio: 0.25, medianLatencyMs: 4.2, quality: 0.91, qualityKind: 'accuracy' });
  });

  it('uses agreement when judged without labels', () => {
    const m = variantMetrics(newVariant({ top1: null, agreement: 0.97, judgedOn: 'synthetic-agreement' }));
    expect(m.quality).toBe(0.97);
    expect(m.qualityKind).toBe('agreement');
    expect(m.sizeRatio).toBeNull();
  });

  it('survives an evaluation without the expected fields', () => {
    const v = { ...newVariant({ bytes: 77 }), evaluation: { v: 1 } };
    expect(variantMetrics(v)).toEqual({ bytes: 77, sizeRatio: null, medianLatencyMs: null, quality: null, qualityKind: 'agreement' });
  });
});

describe(groupVariantsByProfile.name, () => {
  it('gives every profile a group, recommended first then smallest, and appends unknown profiles', () => {
    const a = newVariant({ slug: 'cpu', bytes: 300 });
    const b = newVariant({ slug: 'cpu', bytes: 100 });
    const c = newVariant({ slug: 'cpu', bytes: 500, recommended: true });
    const d = newVariant({ slug: 'zzz-gone', bytes: 1 });
    const groups = groupVariantsByProfile([a, b, c, d], [profile('gpu'), profile('cpu')]);
    expect(groups.map((g) => g.slug)).toEqual(['gpu', 'cpu', 'zzz-gone']);
    expect(groups[0]!.variants).toEqual([]);
    expect(groups[1]!.variants.map((v) => v.id)).toEqual([c.id, b.id, a.id]);
    expect(groups[2]!.profile).toBeNull();
  });
});

describe(variantsFromResponse.name, () => {
  it('accepts a bare array, {items} and a Page', () => {
    const v = newVariant();
    expect(variantsFromResponse([v])).toEqual([v]);
    expect(variantsFromResponse({ items: [v] })).toEqual([v]);
    expect(variantsFromResponse({ items: [v], total: 1, limit: 50, offset: 0 })).toEqual([v]);
    expect(variantsFromResponse(null)).toEqual([]);
  });
});
