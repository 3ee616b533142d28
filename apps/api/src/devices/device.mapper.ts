import type { DeviceDto, DeviceFacts, EnrollmentTokenDto, RunningState } from '@edgefleet/contracts';
import type { Prisma } from '@edgefleet/db';

export const DEVICE_INCLUDE = {
  profile: { select: { id: true, slug: true } },
  assignment: { include: { version: { select: { id: true, number: true, modelId: true } } } },
} satisfies Prisma.DeviceInclude;

export type DeviceRow = Prisma.DeviceGetPayload<{ include: typeof DEVICE_INCLUDE }>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function deviceStatus(d: { revokedAt: Date | null; lastSeenAt: Date | null }, offlineAfterS: number, now = Date.now()): DeviceDto['status'] {
  if (d.revokedAt) return 'revoked';
  return d.lastSeenAt && now - d.lastSeenAt.getTime() <= offlineAfterS * 1000 ? 'online' : 'offline';
}

export function mapDevice(d: DeviceRow, offlineAfterS: number): DeviceDto {
  const a = d.assignment;
  return {
    id: d.id,
    name: d.name,
    group: d.group,
    tags: d.tags,
    profile: d.profile ? { id: d.profile.id, slug: d.profile.slug } : null,
    facts: d.facts as unknown as DeviceFacts,
    status: deviceStatus(d, offlineAfterS),
    health: d.health as DeviceDto['health'],
    running: (d.running ?? null) as RunningState | null,
    lastError: (d.lastError ?? null) as DeviceDto['lastError'],
    assignment: a
      ? { modelId: a.version.modelId, versionId: a.version.id, versionNumber: a.version.number, source: a.source as 'manual' | 'rollout', assignedBy: a.assignedBy }
      : null,
    lastSeenAt: iso(d.lastSeenAt),
    revokedAt: iso(d.revokedAt),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

export function mapEnrollmentToken(t: Prisma.EnrollmentTokenGetPayload<object>): EnrollmentTokenDto {
  return {
    id: t.id,
    name: t.name,
    group: t.group,
    tags: t.tags,
    expiresAt: iso(t.expiresAt),
    maxUses: t.maxUses,
    uses: t.uses,
    revokedAt: iso(t.revokedAt),
    createdAt: t.createdAt.toISOString(),
  };
}
