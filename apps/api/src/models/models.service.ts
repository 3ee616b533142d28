import { Injectable } from '@nestjs/common';
import {
  type CreateModelRequest,
  ErrorCode,
  type ListModelsQuery,
  type ModelDto,
  type Page,
  type UpdateModelRequest,
} from '@edgefleet/contracts';
import { isPrismaError, Prisma, PrismaErrorCode } from '@edgefleet/db';
import { AppError } from '../common/app-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { mapModel, modelWithCounts } from './model.mapper.js';

@Injectable()
export class ModelsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly artifacts: ArtifactsService,
  ) {}

  async create(orgId: string, req: CreateModelRequest): Promise<ModelDto> {
    try {
      const model = await this.prisma.db.model.create({
        data: {
          orgId,
          name: req.name,
          task: req.task,
          description: req.description,
          labels: req.labels ?? [],
          preprocessing: req.preprocessing ?? Prisma.DbNull,
        },
        include: modelWithCounts,
      });
      return mapModel(model);
    } catch (err) {
      if (isPrismaError(err, PrismaErrorCode.UniqueViolation)) throw nameTaken(req.name);
      throw err;
    }
  }

  async list(orgId: string, q: ListModelsQuery) {
    const where: Prisma.ModelWhereInput = { orgId, ...(q.search ? { name: { contains: q.search, mode: 'insensitive' } } : {}) };
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.model.findMany({ where, include: modelWithCounts, orderBy: { createdAt: 'desc' }, skip: q.offset, take: q.limit }),
      this.prisma.db.model.count({ where }),
    ]);
    return { items: rows.map(mapModel), total, limit: q.limit, offset: q.offset } satisfies Page<ModelDto>;
  }

  async get(orgId: string, id: string): Promise<ModelDto> {
    const model = await this.prisma.db.model.findFirst({ where: { id, orgId }, include: modelWithCounts });
    if (!model) throw modelNotFound(id);
    return mapModel(model);
  }

  /** Throws `model/not_found` unless the model exists in this organization. */
  async assertExists(orgId: string, id: string): Promise<void> {
    const found = await this.prisma.db.model.count({ where: { id, orgId } });
    if (!found) throw modelNotFound(id);
  }

  async update(orgId: string, id: string, req: UpdateModelRequest): Promise<ModelDto> {
    await this.assertExists(orgId, id);
    try {
      const model = await this.prisma.db.model.update({
        where: { id },
        data: {
          name: req.name,
          task: req.task,
          description: req.description,
          labels: req.labels,
          preprocessing: req.preprocessing === null ? Prisma.DbNull : req.preprocessing,
        },
        include: modelWithCounts,
      });
      return mapModel(model);
    } catch (err) {
      if (isPrismaError(err, PrismaErrorCode.UniqueViolation)) throw nameTaken(req.name ?? '');
      if (isPrismaError(err, PrismaErrorCode.RecordNotFound)) throw modelNotFound(id);
      throw err;
    }
  }

  /** Deletes the model with its versions, datasets and their artifacts; blobs go once nothing else uses them. */
  async remove(orgId: string, id: string): Promise<void> {
    const keys = await this.prisma.db.$transaction(async (tx) => {
      const model = await tx.model.findFirst({
        where: { id, orgId },
        select: { versions: { select: { artifactId: true } }, datasets: { select: { artifactId: true } } },
      });
      if (!model) throw modelNotFound(id);
      const artifactIds = [...model.versions, ...model.datasets].map((r) => r.artifactId);
      const artifacts = await tx.artifact.findMany({ where: { id: { in: artifactIds } }, select: { storageKey: true } });
      await tx.model.delete({ where: { id } });
      await tx.artifact.deleteMany({ where: { id: { in: artifactIds } } });
      return artifacts.map((a) => a.storageKey);
    });
    await this.artifacts.releaseBlobs(keys);
  }
}

export const modelNotFound = (id: string) => new AppError(ErrorCode.ModelNotFound, `model ${id} not found`);
const nameTaken = (name: string) => new AppError(ErrorCode.ModelNameTaken, `a model named "${name}" already exists`);
