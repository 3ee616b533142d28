import { Injectable } from '@nestjs/common';
import type { AuditEntryDto, AuditQuery, AuditResult, Page } from '@edgefleet/contracts';
import type { Prisma } from '@edgefleet/db';
import { PrismaService } from '../database/prisma.service.js';
import { mapAuditEntry } from './auth.mapper.js';

export interface AuditRecord {
  orgId: string | null;
  actorType: 'user' | 'api_key' | 'device' | 'system' | 'anonymous';
  actorId: string | null;
  actorLabel: string | null;
  role: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  status: number;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export const auditResultOf = (status: number): AuditResult =>
  status < 400 ? 'success' : status === 401 || status === 403 || status === 429 ? 'denied' : 'failed';

/** Writes and reads the append-only audit log (the database rejects UPDATE and DELETE on it). */
@Injectable()
export class AuditService {
  constructor(private readonly prisma: PrismaService) {}

  async record(r: AuditRecord): Promise<void> {
    await this.prisma.db.auditLog.create({
      data: { ...r, result: auditResultOf(r.status), userAgent: r.userAgent?.slice(0, 500) ?? null, action: r.action.slice(0, 300) },
    });
  }

  async list(orgId: string, q: AuditQuery): Promise<Page<AuditEntryDto>> {
    const where: Prisma.AuditLogWhereInput = {
      orgId,
      ...(q.actorType && { actorType: q.actorType }),
      ...(q.actorId && { actorId: q.actorId }),
      ...(q.action && { action: { contains: q.action } }),
      ...(q.targetType && { targetType: q.targetType }),
      ...(q.targetId && { targetId: q.targetId }),
      ...(q.result && { result: q.result }),
      ...((q.since || q.until) && { at: { ...(q.since && { gte: q.since }), ...(q.until && { lt: q.until }) } }),
    };
    const [rows, total] = await Promise.all([
      this.prisma.db.auditLog.findMany({ where, orderBy: { id: 'desc' }, take: q.limit, skip: q.offset }),
      this.prisma.db.auditLog.count({ where }),
    ]);
    return { items: rows.map(mapAuditEntry), total, limit: q.limit, offset: q.offset };
  }
}
