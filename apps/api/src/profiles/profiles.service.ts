import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { BUILTIN_PROFILES } from '@edgefleet/compress';
import {
  type CreateProfileRequest,
  ErrorCode,
  type HardwareProfileDto,
  type Page,
  type PaginationQuery,
  type UpdateProfileRequest,
} from '@edgefleet/contracts';
import { builtinProfileRow, DEFAULT_ORG_ID, isPrismaError, type Prisma, PrismaErrorCode } from '@edgefleet/db';
import { AppError } from '../common/app-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { mapProfile } from './profile.mapper.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class ProfilesService implements OnApplicationBootstrap {
  constructor(private readonly prisma: PrismaService) {}

  /** Adds the engine's built-in profiles that are missing; never overwrites an operator's edits. */
  async onApplicationBootstrap() {
    await this.prisma.db.hardwareProfile.createMany({
      data: BUILTIN_PROFILES.map((p) => builtinProfileRow(p, DEFAULT_ORG_ID)),
      skipDuplicates: true,
    });
  }

  async create(orgId: string, req: CreateProfileRequest): Promise<HardwareProfileDto> {
    try {
      const row = await this.prisma.db.hardwareProfile.create({
        data: {
          orgId,
          slug: req.slug,
          name: req.name,
          description: req.description ?? '',
          precisions: req.precisions,
          optimizationLevel: req.optimizationLevel,
          threads: req.threads,
          maxModelBytes: req.maxModelBytes == null ? null : BigInt(req.maxModelBytes),
          maxLatencyMs: req.maxLatencyMs ?? null,
          accuracyBudget: req.accuracyBudget,
          objective: req.objective ?? 'latency',
        },
      });
      return mapProfile(row);
    } catch (err) {
      if (isPrismaError(err, PrismaErrorCode.UniqueViolation)) throw new AppError(ErrorCode.ProfileSlugTaken, `a profile "${req.slug}" already exists`);
      throw err;
    }
  }

  async list(orgId: string, q: PaginationQuery): Promise<Page<HardwareProfileDto>> {
    const where = { orgId };
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.hardwareProfile.findMany({ where, orderBy: [{ builtin: 'desc' }, { slug: 'asc' }], skip: q.offset, take: q.limit }),
      this.prisma.db.hardwareProfile.count({ where }),
    ]);
    return { items: rows.map(mapProfile), total, limit: q.limit, offset: q.offset };
  }

  async get(orgId: string, ref: string): Promise<HardwareProfileDto> {
    return mapProfile(await this.find(orgId, ref));
  }

  async update(orgId: string, ref: string, req: UpdateProfileRequest): Promise<HardwareProfileDto> {
    const current = await this.find(orgId, ref);
    const data: Prisma.HardwareProfileUpdateInput = {
      ...req,
      maxModelBytes: req.maxModelBytes === undefined ? undefined : req.maxModelBytes === null ? null : BigInt(req.maxModelBytes),
    };
    return mapProfile(await this.prisma.db.hardwareProfile.update({ where: { id: current.id }, data }));
  }

  async remove(orgId: string, ref: string): Promise<void> {
    const current = await this.find(orgId, ref);
    try {
      await this.prisma.db.hardwareProfile.delete({ where: { id: current.id } });
    } catch (err) {
      // Variants and pipeline jobs reference profiles with ON DELETE RESTRICT.
      if (isPrismaError(err, PrismaErrorCode.ForeignKeyViolation)) {
        throw new AppError(ErrorCode.ProfileInUse, `profile ${current.slug} is used by variants or pipelines; delete those first`);
      }
      throw err;
    }
  }

  /** `ref` is the profile's id or its slug (`arm64-cpu-int8`), whichever is handier for the caller. */
  private async find(orgId: string, ref: string) {
    const row = await this.prisma.db.hardwareProfile.findFirst({ where: UUID.test(ref) ? { orgId, id: ref.toLowerCase() } : { orgId, slug: ref } });
    if (!row) throw new AppError(ErrorCode.ProfileNotFound, `profile ${ref} not found`);
    return row;
  }
}
