import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { canonicalJson, type DesiredAssignment, type DesiredState, type RecipeDto } from '@edgefleet/contracts';
import { PrismaService } from '../database/prisma.service.js';

export const DESIRED_INCLUDE = {
  assignment: { include: { version: { select: { id: true, number: true, model: { select: { id: true, name: true } } } } } },
} as const;

/**
 * A device's desired state, resolved at read time: the assigned version's recommended variant for the
 * device's profile. `assignment` is null when nothing is assigned or no such variant exists (yet).
 * The etag is a hash of the state, so any change (a new assignment, a re-profiled device, a newly
 * recommended variant) changes it.
 */
@Injectable()
export class DesiredStateService {
  constructor(private readonly prisma: PrismaService) {}

  async forDevice(deviceId: string): Promise<DesiredState> {
    const device = await this.prisma.db.device.findUnique({ where: { id: deviceId }, select: { profileId: true, ...DESIRED_INCLUDE } });
    const version = device?.assignment?.version;
    let assignment: DesiredAssignment | null = null;
    if (version && device.profileId) {
      const variant = await this.prisma.db.variant.findFirst({
        where: { versionId: version.id, profileId: device.profileId, recommended: true },
        include: { artifact: true, profile: { select: { slug: true } } },
        orderBy: { createdAt: 'desc' },
      });
      if (variant) {
        assignment = {
          model: { id: version.model.id, name: version.model.name },
          version: { id: version.id, number: version.number },
          variant: { id: variant.id, recipe: variant.recipe as unknown as RecipeDto, precision: variant.precision as 'fp32' | 'fp16' | 'int8', profile: variant.profile.slug },
          manifest: variant.manifest as Record<string, unknown>,
          signature: variant.signature,
          artifactUrl: `/api/device/artifacts/${variant.id}`,
          bytes: Number(variant.artifact.byteSize),
          sha256: variant.artifact.sha256,
        };
      }
    }
    return { v: 1, etag: desiredEtag(assignment), assignment, shadow: null };
  }
}

export const desiredEtag = (assignment: DesiredAssignment | null) =>
  createHash('sha256').update(canonicalJson({ v: 1, assignment })).digest('hex').slice(0, 32);
