import path from 'node:path';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { inspectModel } from '@edgefleet/compress';
import { ErrorCode, type ModelVersionDto, type Page, type PaginationQuery, UploadVersionFields } from '@edgefleet/contracts';
import { isPrismaError, type Prisma, PrismaErrorCode } from '@edgefleet/db';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { AppError } from '../common/app-error.js';
import { LOGGER, type Logger } from '../common/logger.js';
import { asUploadError } from '../common/compress-errors.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { PrismaService } from '../database/prisma.service.js';
import { ModelsService } from '../models/models.service.js';
import { PipelinesService } from '../pipelines/pipelines.service.js';
import { drainRequest, receiveMultipartUpload } from '../uploads/multipart-upload.js';
import { mapVersion } from './version.mapper.js';
import { versionWhere } from './version-ref.js';

type IncomingUpload = Readable & { headers: Record<string, string | string[] | undefined> };

@Injectable()
export class VersionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly models: ModelsService,
    private readonly artifacts: ArtifactsService,
    private readonly pipelines: PipelinesService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Receives an ONNX file, proves it loads in onnxruntime, stores it and records the version, in that
   * order: nothing is written to the tables unless the file is a usable model.
   */
  async upload(orgId: string, modelId: string, req: IncomingUpload): Promise<ModelVersionDto> {
    try {
      await this.models.assertExists(orgId, modelId);
    } catch (err) {
      await drainRequest(req);
      throw err;
    }
    const upload = await receiveMultipartUpload(req, { tmpDir: path.join(this.config.dataDir, 'tmp'), maxBytes: this.config.uploads.maxBytes });
    let storageKey: string | undefined;
    try {
      const fields = UploadVersionFields.parse(upload.fields);
      const inspection = await inspectModel(upload.file.tempPath).catch((err: unknown) => {
        throw asUploadError(err);
      });
      const blob = await this.artifacts.store(upload.file, 'original', 'onnx');
      storageKey = blob.storageKey;
      const version = await this.prisma.db.$transaction(async (tx) => {
        // Row lock on the model serializes concurrent uploads, so numbers never collide.
        const { nextVersion } = await tx.model.update({ where: { id: modelId }, data: { nextVersion: { increment: 1 } }, select: { nextVersion: true } });
        const artifact = await tx.artifact.create({ data: { ...blob, orgId } });
        return tx.modelVersion.create({
          data: {
            modelId,
            number: nextVersion - 1,
            semver: fields.semver,
            notes: fields.notes,
            createdBy: fields.createdBy,
            inspection: inspection as unknown as Prisma.InputJsonValue,
            artifactId: artifact.id,
          },
          include: { artifact: true },
        });
      });
      storageKey = undefined;
      await this.autoTrigger(orgId, version.id);
      return mapVersion(version);
    } catch (err) {
      if (isPrismaError(err, PrismaErrorCode.UniqueViolation)) {
        throw new AppError(ErrorCode.VersionLabelTaken, `version ${upload.fields.semver} already exists for this model`);
      }
      throw err;
    } finally {
      await upload.discard();
      if (storageKey) await this.artifacts.releaseBlobs([storageKey]);
    }
  }

  /**
   * Starts compression for every profile once a version is stored. The version is what the caller
   * asked for, so a pipeline problem is logged (and recorded on the run when it got that far) instead
   * of failing the upload; the pipeline can be triggered again by hand.
   */
  private async autoTrigger(orgId: string, versionId: string) {
    if (!this.config.pipelines.auto) return;
    try {
      await this.pipelines.triggerForVersion(orgId, versionId, {}, 'upload');
    } catch (err) {
      this.logger.error({ err, versionId }, 'could not start the pipeline of an uploaded version');
    }
  }

  async list(orgId: string, modelId: string, q: PaginationQuery): Promise<Page<ModelVersionDto>> {
    await this.models.assertExists(orgId, modelId);
    const where = { modelId };
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.modelVersion.findMany({ where, include: { artifact: true }, orderBy: { number: 'desc' }, skip: q.offset, take: q.limit }),
      this.prisma.db.modelVersion.count({ where }),
    ]);
    return { items: rows.map(mapVersion), total, limit: q.limit, offset: q.offset };
  }

  async get(orgId: string, modelId: string, ref: string): Promise<ModelVersionDto> {
    return mapVersion(await this.find(orgId, modelId, ref));
  }

  /** `ref` is a version number, a semver label, or `latest`. */
  async find(orgId: string, modelId: string, ref: string) {
    await this.models.assertExists(orgId, modelId);
    const version = await this.prisma.db.modelVersion.findFirst({ where: versionWhere(modelId, ref), include: { artifact: true }, orderBy: { number: 'desc' } });
    if (!version) throw new AppError(ErrorCode.VersionNotFound, `version ${ref} of model ${modelId} not found`);
    return version;
  }
}
