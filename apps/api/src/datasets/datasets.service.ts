import path from 'node:path';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { openNpz, validateDatasetForModel, type ModelInspection } from '@edgefleet/compress';
import { type DatasetDto, ErrorCode, type Page, type PaginationQuery, UploadDatasetFields } from '@edgefleet/contracts';
import { type Artifact, type Dataset, isPrismaError, PrismaErrorCode } from '@edgefleet/db';
import { ArtifactsService, mapArtifact } from '../artifacts/artifacts.service.js';
import { AppError } from '../common/app-error.js';
import { asUploadError } from '../common/compress-errors.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { PrismaService } from '../database/prisma.service.js';
import { ModelsService } from '../models/models.service.js';
import { drainRequest, receiveMultipartUpload } from '../uploads/multipart-upload.js';
import { VersionsService } from '../versions/versions.service.js';

type IncomingUpload = Readable & { headers: Record<string, string | string[] | undefined> };

function mapDataset(d: Dataset & { artifact: Artifact }): DatasetDto {
  return {
    id: d.id,
    modelId: d.modelId,
    name: d.name,
    purpose: d.purpose,
    sampleCount: d.sampleCount,
    hasLabels: d.hasLabels,
    arrays: d.arrays as DatasetDto['arrays'],
    artifact: mapArtifact(d.artifact),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

@Injectable()
export class DatasetsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly models: ModelsService,
    private readonly versions: VersionsService,
    private readonly artifacts: ArtifactsService,
  ) {}

  /** Receives a `.npz`, checks its arrays against the inputs of the model's latest version, stores it. */
  async upload(orgId: string, modelId: string, req: IncomingUpload): Promise<DatasetDto> {
    let inspection: ModelInspection;
    try {
      const latest = await this.versions.find(orgId, modelId, 'latest').catch((err: unknown) => {
        if (err instanceof AppError && err.code === ErrorCode.VersionNotFound) {
          throw new AppError(ErrorCode.DatasetMismatch, 'upload a model version first: datasets are checked against its inputs');
        }
        throw err;
      });
      inspection = latest.inspection as unknown as ModelInspection;
    } catch (err) {
      await drainRequest(req);
      throw err;
    }
    const upload = await receiveMultipartUpload(req, { tmpDir: path.join(this.config.dataDir, 'tmp'), maxBytes: this.config.uploads.maxBytes });
    let storageKey: string | undefined;
    try {
      const fields = UploadDatasetFields.parse(upload.fields);
      const check = await openNpz(upload.file.tempPath)
        .then((npz) => validateDatasetForModel(npz.arrays, inspection))
        .catch((err: unknown) => {
          throw asUploadError(err);
        });
      const blob = await this.artifacts.store(upload.file, 'dataset', 'npz');
      storageKey = blob.storageKey;
      const dataset = await this.prisma.db.$transaction(async (tx) => {
        const artifact = await tx.artifact.create({ data: { ...blob, orgId } });
        return tx.dataset.create({
          data: {
            modelId,
            name: fields.name,
            purpose: fields.purpose,
            sampleCount: check.sampleCount,
            hasLabels: check.hasLabels,
            arrays: check.arrays.map((a) => ({ name: a.name, dtype: a.dtype, shape: [...a.shape] })),
            artifactId: artifact.id,
          },
          include: { artifact: true },
        });
      });
      storageKey = undefined;
      return mapDataset(dataset);
    } catch (err) {
      if (isPrismaError(err, PrismaErrorCode.UniqueViolation)) {
        throw new AppError(ErrorCode.DatasetNameTaken, `a dataset named "${upload.fields.name}" already exists for this model`);
      }
      throw err;
    } finally {
      await upload.discard();
      if (storageKey) await this.artifacts.releaseBlobs([storageKey]);
    }
  }

  async list(orgId: string, modelId: string, q: PaginationQuery): Promise<Page<DatasetDto>> {
    await this.models.assertExists(orgId, modelId);
    const where = { modelId };
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.dataset.findMany({ where, include: { artifact: true }, orderBy: { createdAt: 'desc' }, skip: q.offset, take: q.limit }),
      this.prisma.db.dataset.count({ where }),
    ]);
    return { items: rows.map(mapDataset), total, limit: q.limit, offset: q.offset };
  }

  async get(orgId: string, modelId: string, datasetId: string): Promise<DatasetDto> {
    await this.models.assertExists(orgId, modelId);
    const dataset = await this.prisma.db.dataset.findFirst({ where: { id: datasetId, modelId }, include: { artifact: true } });
    if (!dataset) throw notFound(datasetId);
    return mapDataset(dataset);
  }

  async remove(orgId: string, modelId: string, datasetId: string): Promise<void> {
    await this.models.assertExists(orgId, modelId);
    const key = await this.prisma.db.$transaction(async (tx) => {
      const dataset = await tx.dataset.findFirst({ where: { id: datasetId, modelId }, include: { artifact: true } });
      if (!dataset) throw notFound(datasetId);
      await tx.dataset.delete({ where: { id: datasetId } });
      await tx.artifact.delete({ where: { id: dataset.artifactId } });
      return dataset.artifact.storageKey;
    });
    await this.artifacts.releaseBlobs([key]);
  }
}

const notFound = (id: string) => new AppError(ErrorCode.DatasetNotFound, `dataset ${id} not found`);
