import { Injectable } from '@nestjs/common';
import { ErrorCode, type ShadowBatch } from '@edgefleet/contracts';
import { Prisma } from '@edgefleet/db';
import { AppError } from '../common/app-error.js';
import type { Parsed } from '../common/zod.js';
import { PrismaService } from '../database/prisma.service.js';
import { DesiredStateService } from '../devices/desired-state.service.js';
import type { AuthenticatedDevice } from './device-auth.js';

const MINUTE_MS = 60_000;

/** Shadow evaluation on devices: their reports, and the candidate's artifact. */
@Injectable()
export class DeviceShadowService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly desired: DesiredStateService,
  ) {}

  /**
   * Adds each report to what is stored for (device, candidate, minute), all or nothing, as telemetry does:
   * batches for the same minute add up (an agent re-sending after a lost response is the agent's to avoid).
   */
  async ingest(device: AuthenticatedDevice, req: Parsed<typeof ShadowBatch>): Promise<{ accepted: number }> {
    const ids = [...new Set(req.items.flatMap((i) => [i.candidateVersionId.toLowerCase(), i.baseVersionId.toLowerCase()]))];
    const found = await this.prisma.db.modelVersion.count({ where: { id: { in: ids }, model: { orgId: device.orgId } } });
    if (found !== ids.length) throw new AppError(ErrorCode.VersionNotFound, 'the batch names an unknown model version');
    await this.prisma.db.$transaction(
      req.items.map((b) =>
        this.prisma.db.$executeRaw(Prisma.sql`
          INSERT INTO shadow_buckets AS s (device_id, candidate_version_id, base_version_id, bucket, samples, top1_agree, cosine_sum, candidate_errors, histogram)
          VALUES (${device.id}::uuid, ${b.candidateVersionId}::uuid, ${b.baseVersionId}::uuid, ${new Date(Math.floor(Date.parse(b.bucketStart) / MINUTE_MS) * MINUTE_MS)},
                  ${b.samples}, ${b.top1Agree}, ${b.cosineSum}, ${b.candidateErrors}, ${b.candidateHistogram}::int[])
          ON CONFLICT (device_id, candidate_version_id, bucket) DO UPDATE SET
            base_version_id = EXCLUDED.base_version_id,
            samples = s.samples + EXCLUDED.samples,
            top1_agree = s.top1_agree + EXCLUDED.top1_agree,
            cosine_sum = s.cosine_sum + EXCLUDED.cosine_sum,
            candidate_errors = s.candidate_errors + EXCLUDED.candidate_errors,
            histogram = ARRAY(SELECT coalesce(x, 0) + coalesce(y, 0) FROM unnest(s.histogram, EXCLUDED.histogram) WITH ORDINALITY AS u(x, y, i) ORDER BY i)`),
      ),
    );
    return { accepted: req.items.length };
  }

  /** The variant's artifact, if it is this device's shadow candidate now (else 403 like any unassigned variant). */
  async shadowArtifact(device: AuthenticatedDevice, variantId: string) {
    const state = await this.desired.forDevice(device.id);
    if (state.shadow?.variant.id !== variantId)
      throw new AppError(ErrorCode.DeviceForbidden, `variant ${variantId} is not this device's shadow candidate`);
    const variant = await this.prisma.db.variant.findUniqueOrThrow({
      where: { id: variantId },
      include: {
        artifact: true,
        profile: { select: { slug: true } },
        version: { select: { number: true, model: { select: { name: true } } } },
      },
    });
    return {
      artifact: variant.artifact,
      fileName: `${variant.version.model.name}-v${variant.version.number}-${variant.profile.slug}-${variant.recipeId}.onnx`,
    };
  }
}
