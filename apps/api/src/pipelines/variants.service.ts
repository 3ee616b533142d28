import { Injectable } from '@nestjs/common';
import { ErrorCode, type VariantDto } from '@edgefleet/contracts';
import type { Request, Response } from 'express';
import { sendArtifact } from '../artifacts/artifact-download.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { AppError } from '../common/app-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { ModelsService } from '../models/models.service.js';
import { versionWhere } from '../versions/version-ref.js';
import { mapVariant, VARIANT_INCLUDE, variantFileName } from './pipeline.mapper.js';

/** Variants are written by the worker; the API only reads and serves them. */
@Injectable()
export class VariantsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly models: ModelsService,
    private readonly artifacts: ArtifactsService,
  ) {}

  /** Every variant of a version, grouped by profile (slug order) with the recommended one first in each group. */
  async listForVersion(orgId: string, modelId: string, versionRef: string): Promise<VariantDto[]> {
    await this.models.assertExists(orgId, modelId);
    const version = await this.prisma.db.modelVersion.findFirst({ where: versionWhere(modelId, versionRef), select: { id: true }, orderBy: { number: 'desc' } });
    if (!version) throw new AppError(ErrorCode.VersionNotFound, `version ${versionRef} of model ${modelId} not found`);
    const rows = await this.prisma.db.variant.findMany({
      where: { versionId: version.id },
      include: VARIANT_INCLUDE,
      orderBy: [{ profile: { slug: 'asc' } }, { recommended: 'desc' }, { recipeId: 'asc' }],
    });
    return rows.map(mapVariant);
  }

  async get(orgId: string, id: string): Promise<VariantDto> {
    return mapVariant(await this.find(orgId, id));
  }

  async download(orgId: string, id: string, req: Request, res: Response): Promise<void> {
    const variant = await this.find(orgId, id);
    await sendArtifact(this.artifacts, variant.artifact, variantFileName(variant), req, res);
  }

  private async find(orgId: string, id: string) {
    const row = await this.prisma.db.variant.findFirst({ where: { id, version: { model: { orgId } } }, include: VARIANT_INCLUDE });
    if (!row) throw new AppError(ErrorCode.VariantNotFound, `variant ${id} not found`);
    return row;
  }
}
