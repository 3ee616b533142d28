import { Injectable } from '@nestjs/common';
import {
  type ApiKeyDto,
  type CreateApiKeyRequest,
  type CreatedApiKeyDto,
  ErrorCode,
  type Page,
  type PaginationQuery,
} from '@edgefleet/contracts';
import { AppError } from '../common/app-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { mapApiKey } from './auth.mapper.js';
import { apiKeyDisplayPrefix, newApiKey, sha256 } from './tokens.js';

@Injectable()
export class ApiKeysService {
  constructor(private readonly prisma: PrismaService) {}

  async create(orgId: string, createdBy: string | null, body: CreateApiKeyRequest): Promise<CreatedApiKeyDto> {
    const key = newApiKey();
    const row = await this.prisma.db.apiKey.create({
      data: {
        orgId,
        name: body.name,
        role: body.role,
        prefix: apiKeyDisplayPrefix(key),
        keyHash: sha256(key),
        createdBy,
        expiresAt: body.expiresInS ? new Date(Date.now() + body.expiresInS * 1000) : null,
      },
    });
    return { ...mapApiKey(row), key };
  }

  async list(orgId: string, q: PaginationQuery): Promise<Page<ApiKeyDto>> {
    const [rows, total] = await Promise.all([
      this.prisma.db.apiKey.findMany({ where: { orgId }, orderBy: { createdAt: 'desc' }, take: q.limit, skip: q.offset }),
      this.prisma.db.apiKey.count({ where: { orgId } }),
    ]);
    return { items: rows.map(mapApiKey), total, limit: q.limit, offset: q.offset };
  }

  /** Idempotent: revoking a revoked key keeps its first revocation time. */
  async revoke(orgId: string, id: string): Promise<ApiKeyDto> {
    const key = await this.prisma.db.apiKey.findFirst({ where: { id, orgId } });
    if (!key) throw new AppError(ErrorCode.ApiKeyNotFound, `no API key ${id}`);
    if (key.revokedAt) return mapApiKey(key);
    return mapApiKey(await this.prisma.db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } }));
  }
}
