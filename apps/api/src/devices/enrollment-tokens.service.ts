import { Injectable } from '@nestjs/common';
import { type CreatedEnrollmentTokenDto, type EnrollmentTokenDto, ErrorCode, type Page, type PaginationQuery } from '@edgefleet/contracts';
import type { Parsed } from '../common/zod.js';
import { AppError } from '../common/app-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { mapEnrollmentToken } from './device.mapper.js';
import { ENROLLMENT_TOKEN_PREFIX, hashSecret, newSecret } from './device-secrets.js';
import type { CreateEnrollmentTokenRequest } from '@edgefleet/contracts';

@Injectable()
export class EnrollmentTokensService {
  constructor(private readonly prisma: PrismaService) {}

  /** The token is returned here only; the database keeps its sha256. */
  async create(orgId: string, req: Parsed<typeof CreateEnrollmentTokenRequest>): Promise<CreatedEnrollmentTokenDto> {
    const token = newSecret(ENROLLMENT_TOKEN_PREFIX);
    const row = await this.prisma.db.enrollmentToken.create({
      data: {
        orgId,
        name: req.name,
        group: req.group,
        tags: req.tags,
        expiresAt: req.expiresInS === undefined ? null : new Date(Date.now() + req.expiresInS * 1000),
        maxUses: req.maxUses ?? null,
        tokenHash: hashSecret(token),
      },
    });
    return { ...mapEnrollmentToken(row), token };
  }

  async list(orgId: string, q: PaginationQuery): Promise<Page<EnrollmentTokenDto>> {
    const where = { orgId };
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.enrollmentToken.findMany({ where, orderBy: { createdAt: 'desc' }, skip: q.offset, take: q.limit }),
      this.prisma.db.enrollmentToken.count({ where }),
    ]);
    return { items: rows.map(mapEnrollmentToken), total, limit: q.limit, offset: q.offset };
  }

  /** Revoking is idempotent; devices already enrolled with the token keep working. */
  async revoke(orgId: string, id: string): Promise<void> {
    const { count } = await this.prisma.db.enrollmentToken.updateMany({ where: { id, orgId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (count === 0 && !(await this.prisma.db.enrollmentToken.count({ where: { id, orgId } }))) {
      throw new AppError(ErrorCode.EnrollmentTokenNotFound, `enrollment token ${id} not found`);
    }
  }
}
