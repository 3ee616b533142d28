import type { PipelineJobDto, PipelineRunDto, RecipeDto, VariantDto } from '@edgefleet/contracts';
import type { Prisma } from '@edgefleet/db';
import { mapArtifact } from '../artifacts/artifacts.service.js';

/** The relations every run read includes, so the mapper can rely on them. */
export const RUN_INCLUDE = {
  version: { select: { modelId: true, number: true } },
  jobs: { include: { profile: { select: { id: true, slug: true } } }, orderBy: { profile: { slug: 'asc' } } },
} satisfies Prisma.PipelineRunInclude;

export type RunRow = Prisma.PipelineRunGetPayload<{ include: typeof RUN_INCLUDE }>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function mapPipelineJob(j: RunRow['jobs'][number]): PipelineJobDto {
  return {
    id: j.id,
    profile: { id: j.profile.id, slug: j.profile.slug },
    status: j.status,
    step: j.step,
    progress: j.progress,
    attempts: j.attempts,
    error: j.error,
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  };
}

export function mapPipelineRun(r: RunRow): PipelineRunDto {
  return {
    id: r.id,
    modelId: r.version.modelId,
    versionId: r.versionId,
    versionNumber: r.version.number,
    status: r.status,
    trigger: r.trigger as PipelineRunDto['trigger'],
    requestedBy: r.requestedBy,
    error: r.error,
    jobs: r.jobs.map(mapPipelineJob),
    createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
  };
}

export const VARIANT_INCLUDE = {
  artifact: true,
  profile: { select: { id: true, slug: true } },
  version: { select: { number: true, model: { select: { name: true } } } },
} satisfies Prisma.VariantInclude;

export type VariantRow = Prisma.VariantGetPayload<{ include: typeof VARIANT_INCLUDE }>;

export function mapVariant(v: VariantRow): VariantDto {
  return {
    id: v.id,
    versionId: v.versionId,
    profile: { id: v.profile.id, slug: v.profile.slug },
    recipe: v.recipe as unknown as RecipeDto,
    precision: v.precision as VariantDto['precision'],
    artifact: mapArtifact(v.artifact),
    evaluation: v.evaluation as Record<string, unknown>,
    verdict: {
      status: v.verdict as VariantDto['verdict']['status'],
      reasons: v.verdictReasons,
      judgedOn: v.judgedOn as VariantDto['verdict']['judgedOn'],
    },
    onParetoFront: v.onParetoFront,
    recommended: v.recommended,
    manifest: v.manifest as Record<string, unknown>,
    signature: v.signature,
    createdAt: v.createdAt.toISOString(),
  };
}

/** `<model>-v<n>-<profile>-<recipe>.onnx`; sendArtifact replaces characters unsafe in a header. */
export const variantFileName = (v: VariantRow) => `${v.version.model.name}-v${v.version.number}-${v.profile.slug}-${v.recipeId}.onnx`;
