import type { HardwareProfileDto, VariantDto } from '@edgefleet/contracts';

export type QualityKind = 'accuracy' | 'agreement';

export interface VariantMetrics {
  bytes: number;
  /** Variant bytes over the original version's bytes; null when the original size is unknown. */
  sizeRatio: number | null;
  medianLatencyMs: number | null;
  /** Top-1 accuracy on labels, or top-1 agreement with the original when judged without labels. */
  quality: number | null;
  qualityKind: QualityKind;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function obj(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
}

/**
 * Reads what the dashboard shows from a variant's `evaluation` (compress `Evaluation` v1, typed as an
 * open record in the contracts, so every field is checked).
 */
export function variantMetrics(variant: VariantDto, originalBytes?: number | null): VariantMetrics {
  const ev = variant.evaluation;
  const accuracy = num(obj(ev.accuracy)?.top1);
  const agreement = num(obj(ev.fidelity)?.top1Agreement);
  const byLabels = variant.verdict.judgedOn === 'labels' && accuracy !== null;
  const bytes = num(obj(ev.size)?.bytes) ?? variant.artifact.byteSize;
  return {
    bytes,
    sizeRatio: originalBytes && originalBytes > 0 ? bytes / originalBytes : null,
    medianLatencyMs: num(obj(ev.latencyMs)?.median),
    quality: byLabels ? accuracy : (agreement ?? accuracy),
    qualityKind: byLabels || (agreement === null && accuracy !== null) ? 'accuracy' : 'agreement',
  };
}

export interface ProfileGroup {
  slug: string;
  profile: HardwareProfileDto | null;
  /** Recommended first, then by size ascending. */
  variants: VariantDto[];
}

/**
 * One group per profile: every known profile (in the given order, even with no variants yet) and then
 * any profile that only appears on a variant (deleted or not listed), by slug.
 */
export function groupVariantsByProfile(variants: readonly VariantDto[], profiles: readonly HardwareProfileDto[] = []): ProfileGroup[] {
  const bySlug = new Map<string, VariantDto[]>();
  for (const v of variants) {
    const list = bySlug.get(v.profile.slug);
    if (list) list.push(v);
    else bySlug.set(v.profile.slug, [v]);
  }
  const order = (a: VariantDto, b: VariantDto) => Number(b.recommended) - Number(a.recommended) || a.artifact.byteSize - b.artifact.byteSize || a.recipe.id.localeCompare(b.recipe.id);
  const groups: ProfileGroup[] = profiles.map((p) => ({ slug: p.slug, profile: p, variants: (bySlug.get(p.slug) ?? []).sort(order) }));
  const known = new Set(profiles.map((p) => p.slug));
  const extra = [...bySlug.keys()].filter((s) => !known.has(s)).sort();
  for (const slug of extra) groups.push({ slug, profile: null, variants: (bySlug.get(slug) ?? []).sort(order) });
  return groups;
}

/** Variants responses: the API answers a bare array today; `{items}` and a Page are accepted too. */
export function variantsFromResponse(body: unknown): VariantDto[] {
  if (Array.isArray(body)) return body as VariantDto[];
  const items = obj(body)?.items;
  return Array.isArray(items) ? (items as VariantDto[]) : [];
}
