import type { ModelDto, PreprocessingSpec } from '@edgefleet/contracts';
import type { Model } from '@edgefleet/db';

export type ModelWithCounts = Model & { _count: { versions: number }; versions: { number: number }[] };

export function mapModel(m: ModelWithCounts): ModelDto {
  return {
    id: m.id,
    name: m.name,
    task: m.task as ModelDto['task'],
    description: m.description,
    labels: m.labels,
    preprocessing: (m.preprocessing as PreprocessingSpec | null) ?? null,
    versionCount: m._count.versions,
    latestVersion: m.versions[0]?.number ?? null,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

/** The include every model read uses, so `mapModel` always has what it needs. */
export const modelWithCounts = {
  _count: { select: { versions: true } },
  versions: { select: { number: true }, orderBy: { number: 'desc' }, take: 1 },
} as const;
