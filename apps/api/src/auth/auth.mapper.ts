import type { ApiKeyDto, AuditEntryDto, Role, UserDto } from '@edgefleet/contracts';
import type { ApiKey, AuditLog, User } from '@edgefleet/db';

export const mapUser = (u: User): UserDto => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role as Role,
  orgId: u.orgId,
  disabled: u.disabledAt !== null,
  lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
  createdAt: u.createdAt.toISOString(),
});

export const mapApiKey = (k: ApiKey): ApiKeyDto => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role as Role,
  createdBy: k.createdBy,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  expiresAt: k.expiresAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

export const mapAuditEntry = (a: AuditLog): AuditEntryDto => ({
  id: a.id.toString(),
  at: a.at.toISOString(),
  actorType: a.actorType as AuditEntryDto['actorType'],
  actorId: a.actorId,
  actorLabel: a.actorLabel,
  role: a.role as Role | null,
  action: a.action,
  targetType: a.targetType,
  targetId: a.targetId,
  status: a.status,
  result: a.result as AuditEntryDto['result'],
  ip: a.ip,
  userAgent: a.userAgent,
  requestId: a.requestId,
});
