import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ACTIVE_ROLLOUT_STATUSES, canonicalJson, type DesiredAssignment, type DesiredShadow, type DesiredState, type RecipeDto } from '@edgefleet/contracts';
import type { Prisma } from '@edgefleet/db';
import { PrismaService } from '../database/prisma.service.js';

const VERSION_SELECT = { select: { id: true, number: true, model: { select: { id: true, name: true } } } } as const;

export const DESIRED_INCLUDE = {
  assignment: { include: { version: VERSION_SELECT, shadowVersion: VERSION_SELECT } },
} as const;

type VersionRef = Prisma.ModelVersionGetPayload<typeof VERSION_SELECT>;
type VariantRow = Prisma.VariantGetPayload<{ include: { artifact: true; profile: { select: { slug: true } } } }>;

/** Where a device downloads its shadow candidate (the assignment's artifact route only serves the assigned variant). */
export const shadowArtifactUrl = (variantId: string) => `/api/device/shadow/artifacts/${variantId}`;

function desiredOf(version: VersionRef, variant: VariantRow, artifactUrl: string): DesiredAssignment {
  return {
    model: { id: version.model.id, name: version.model.name },
    version: { id: version.id, number: version.number },
    variant: { id: variant.id, recipe: variant.recipe as unknown as RecipeDto, precision: variant.precision as 'fp32' | 'fp16' | 'int8', profile: variant.profile.slug },
    manifest: variant.manifest as Record<string, unknown>,
    signature: variant.signature,
    artifactUrl,
    bytes: Number(variant.artifact.byteSize),
    sha256: variant.artifact.sha256,
  };
}

/**
 * A device's desired state, resolved at read time: the assigned version's recommended variant for the
 * device's profile. `assignment` is null when nothing is assigned or no such variant exists (yet).
 * `shadow` is a rollout's candidate to evaluate beside it (same shape, plus the rollout and the sample rate),
 * resolved the same way; null when none. The etag is a hash of the state, so any change (a new assignment,
 * a shadow set or cleared, a re-profiled device, a newly recommended variant) changes it.
 */
@Injectable()
export class DesiredStateService {
  constructor(private readonly prisma: PrismaService) {}

  async forDevice(deviceId: string): Promise<DesiredState> {
    const device = await this.prisma.db.device.findUnique({ where: { id: deviceId }, select: { profileId: true, ...DESIRED_INCLUDE } });
    const a = device?.assignment;
    const version = a?.version;
    const shadowVersion = a?.shadowVersion ?? null;
    let assignment: DesiredAssignment | null = null;
    let shadow: DesiredShadow | null = null;
    if (device?.profileId && a && version) {
      const versionIds = shadowVersion ? [version.id, shadowVersion.id] : [version.id];
      const variants = await this.prisma.db.variant.findMany({
        where: { versionId: { in: versionIds }, profileId: device.profileId, recommended: true },
        include: { artifact: true, profile: { select: { slug: true } } },
        orderBy: { createdAt: 'desc' },
      });
      const variant = variants.find((v) => v.versionId === version.id);
      if (variant) assignment = desiredOf(version, variant, `/api/device/artifacts/${variant.id}`);
      const candidate = shadowVersion ? variants.find((v) => v.versionId === shadowVersion.id) : undefined;
      if (shadowVersion && candidate) {
        const rollout = await this.prisma.db.rolloutDevice.findFirst({
          where: { deviceId, state: 'shadow', rollout: { versionId: shadowVersion.id, status: { in: [...ACTIVE_ROLLOUT_STATUSES] } } },
          select: { rolloutId: true },
        });
        if (rollout) shadow = { ...desiredOf(shadowVersion, candidate, shadowArtifactUrl(candidate.id)), rolloutId: rollout.rolloutId, sampleRate: a.shadowSampleRate ?? 0 };
      }
    }
    return { v: 1, etag: desiredEtag(assignment, shadow), assignment, shadow };
  }
}

/** Without a shadow the hash is the one devices had before shadows existed, so no agent re-downloads on upgrade. */
export const desiredEtag = (assignment: DesiredAssignment | null, shadow: DesiredShadow | null = null) =>
  createHash('sha256')
    .update(canonicalJson(shadow ? { v: 1, assignment, shadow } : { v: 1, assignment }))
    .digest('hex')
    .slice(0, 32);
