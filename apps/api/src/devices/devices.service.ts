import { Inject, Injectable } from '@nestjs/common';
import {
  type AssignDeviceRequest,
  type BulkAssignRequest,
  type BulkAssignResult,
  type DeviceDto,
  ErrorCode,
  type ListDevicesQuery,
  type Page,
  type UpdateDeviceRequest,
} from '@edgefleet/contracts';
import { Prisma } from '@edgefleet/db';
import { activeRolloutsOf } from '@edgefleet/rollouts';
import { requestActor } from '../auth/request-context.js';
import { AppError } from '../common/app-error.js';
import type { Parsed } from '../common/zod.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { PrismaService } from '../database/prisma.service.js';
import { versionWhere } from '../versions/version-ref.js';
import { DesiredNotifier } from './desired-notifier.service.js';
import { DEVICE_INCLUDE, type DeviceRow, mapDevice } from './device.mapper.js';
import { TelemetryService } from './telemetry.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class DevicesService {
  private readonly offlineAfterS: number;

  constructor(
    private readonly prisma: PrismaService,
    private readonly notifier: DesiredNotifier,
    private readonly telemetry: TelemetryService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.offlineAfterS = config.devices.offlineAfterS;
  }

  async list(orgId: string, q: ListDevicesQuery): Promise<Page<DeviceDto>> {
    const where: Prisma.DeviceWhereInput = { orgId };
    if (q.group) where.group = q.group;
    if (q.tag) where.tags = { has: q.tag };
    if (q.profile) where.profile = UUID.test(q.profile) ? { id: q.profile.toLowerCase() } : { slug: q.profile };
    const cutoff = new Date(Date.now() - this.offlineAfterS * 1000);
    if (q.status === 'revoked') where.revokedAt = { not: null };
    else if (q.status === 'online') Object.assign(where, { revokedAt: null, lastSeenAt: { gte: cutoff } });
    else if (q.status === 'offline') Object.assign(where, { revokedAt: null, OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: cutoff } }] });
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.device.findMany({ where, include: DEVICE_INCLUDE, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      this.prisma.db.device.count({ where }),
    ]);
    // The rows are the org's (tenant-scoped query), so their ids may go to the raw stats query.
    const stats = await this.telemetry.statsFor(rows.map((d) => d.id));
    const items = rows.map((d) => ({ ...mapDevice(d, this.offlineAfterS), stats: stats.get(d.id) ?? null }));
    return { items, total, limit: q.limit, offset: q.offset };
  }

  async get(orgId: string, id: string): Promise<DeviceDto> {
    return mapDevice(await this.find(orgId, id), this.offlineAfterS);
  }

  async update(orgId: string, id: string, req: Parsed<typeof UpdateDeviceRequest>): Promise<DeviceDto> {
    const before = await this.find(orgId, id);
    const data: Prisma.DeviceUncheckedUpdateInput = { name: req.name, group: req.group, tags: req.tags };
    const profile = req.profile === undefined || req.profile === null ? null : await this.findProfile(orgId, req.profile);
    if (req.profile !== undefined) data.profileId = profile?.id ?? null;
    const changes = deviceChanges(before, req, profile);
    const row = await this.prisma.db.$transaction(async (tx) => {
      const updated = await tx.device.update({ where: { id }, data, include: DEVICE_INCLUDE });
      // A no-op PATCH leaves the history alone.
      if (Object.keys(changes).length > 0) await tx.deviceEvent.create({ data: { orgId, deviceId: id, kind: 'updated', actor: requestActor(), data: { changes } } });
      return updated;
    });
    // A new profile resolves to another variant.
    if (req.profile !== undefined) await this.notifier.changed([id]);
    return mapDevice(row, this.offlineAfterS);
  }

  /** The device's credentials stop working at once; its rows stay for the record. */
  async revoke(orgId: string, id: string): Promise<DeviceDto> {
    await this.find(orgId, id);
    await this.prisma.db.$transaction(async (tx) => {
      const { count } = await tx.device.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
      // Revoking twice is one event: only the call that revoked it is recorded.
      if (count > 0) await tx.deviceEvent.create({ data: { orgId, deviceId: id, kind: 'revoked', actor: requestActor() } });
    });
    await this.notifier.changed([id]);
    return this.get(orgId, id);
  }

  async assign(orgId: string, id: string, req: Parsed<typeof AssignDeviceRequest>): Promise<DeviceDto> {
    await this.find(orgId, id);
    const versionId = await this.resolveVersion(orgId, req.modelId, req.version);
    await this.upsertAssignments(orgId, [id], versionId, req.assignedBy ?? null);
    return this.get(orgId, id);
  }

  async unassign(orgId: string, id: string): Promise<void> {
    await this.find(orgId, id);
    // One statement, so only a removal that happened is recorded, with the version it removed.
    await this.prisma.db.$executeRaw(Prisma.sql`
      WITH gone AS (DELETE FROM device_assignments WHERE device_id = ${id}::uuid RETURNING version_id)
      INSERT INTO device_events (org_id, device_id, kind, actor, from_version_id)
      SELECT ${orgId}::uuid, ${id}::uuid, 'unassigned', ${requestActor()}, version_id FROM gone`);
    await this.notifier.changed([id]);
  }

  /** Assigns a version to every non-revoked device matching all the target's criteria. */
  async assignMany(orgId: string, req: Parsed<typeof BulkAssignRequest>): Promise<BulkAssignResult> {
    const versionId = await this.resolveVersion(orgId, req.modelId, req.version);
    const { deviceIds, group, tags } = req.target;
    const where: Prisma.DeviceWhereInput = { orgId, revokedAt: null };
    if (deviceIds) where.id = { in: deviceIds.map((d) => d.toLowerCase()) };
    if (group) where.group = group;
    if (tags) where.tags = { hasEvery: tags };
    const ids = (await this.prisma.db.device.findMany({ where, select: { id: true } })).map((d) => d.id);
    await this.upsertAssignments(orgId, ids, versionId, req.assignedBy ?? null);
    return { assigned: ids.length, versionId };
  }

  /**
   * A manual assignment never overrides a device of an active rollout (running, paused, rolling back): 409
   * `rollout/conflict` naming the rollouts, for all the devices or none. Pause/abort the rollout first, or let it finish.
   */
  private async upsertAssignments(orgId: string, deviceIds: string[], versionId: string, assignedBy: string | null) {
    if (deviceIds.length === 0) return;
    const held = await activeRolloutsOf(this.prisma.db, deviceIds);
    if (held.size > 0) {
      const rolloutIds = [...new Set(held.values())];
      throw new AppError(ErrorCode.RolloutConflict, `${held.size} device(s) belong to active rollout(s) ${rolloutIds.join(', ')}; abort or finish them first`, {
        rolloutIds,
        deviceIds: [...held.keys()].slice(0, 100),
      });
    }
    // A manual assignment ends any rollout bookkeeping on the device (what a past rollout replaced, a shadow).
    const data = { versionId, assignedBy, source: 'manual', rolloutId: null, previousVersionId: null, shadowVersionId: null, shadowSampleRate: null };
    const eventData = assignedBy ? JSON.stringify({ assignedBy }) : null;
    await this.prisma.db.$transaction([
      // First, so each event can name the version the assignment replaces. The ids are the org's (found scoped).
      this.prisma.db.$executeRaw(Prisma.sql`
        INSERT INTO device_events (org_id, device_id, kind, actor, version_id, from_version_id, data)
        SELECT ${orgId}::uuid, d.id, 'assigned', ${requestActor()}, ${versionId}::uuid, a.version_id, ${eventData}::jsonb
        FROM devices d LEFT JOIN device_assignments a ON a.device_id = d.id
        WHERE d.id = ANY(${deviceIds}::uuid[])`),
      this.prisma.db.deviceAssignment.createMany({ data: deviceIds.map((deviceId) => ({ deviceId, ...data })), skipDuplicates: true }),
      this.prisma.db.deviceAssignment.updateMany({ where: { deviceId: { in: deviceIds } }, data }),
    ]);
    await this.notifier.changed(deviceIds);
  }

  private async resolveVersion(orgId: string, modelId: string, ref: string): Promise<string> {
    const model = await this.prisma.db.model.count({ where: { id: modelId, orgId } });
    if (!model) throw new AppError(ErrorCode.ModelNotFound, `model ${modelId} not found`);
    const version = await this.prisma.db.modelVersion.findFirst({ where: versionWhere(modelId, ref), select: { id: true }, orderBy: { number: 'desc' } });
    if (!version) throw new AppError(ErrorCode.VersionNotFound, `version ${ref} of model ${modelId} not found`);
    return version.id;
  }

  private async findProfile(orgId: string, ref: string) {
    const row = await this.prisma.db.hardwareProfile.findFirst({ where: UUID.test(ref) ? { orgId, id: ref.toLowerCase() } : { orgId, slug: ref }, select: { id: true, slug: true } });
    if (!row) throw new AppError(ErrorCode.ProfileNotFound, `profile ${ref} not found`);
    return row;
  }

  private async find(orgId: string, id: string) {
    const row = await this.prisma.db.device.findFirst({ where: { id, orgId }, include: DEVICE_INCLUDE });
    if (!row) throw new AppError(ErrorCode.DeviceNotFound, `device ${id} not found`);
    return row;
  }
}

/** What a PATCH changes, field by field ({ from, to }); fields it sets to their current value are left out. */
type Change = { from: string | string[] | null; to: string | string[] | null };
function deviceChanges(before: DeviceRow, req: Parsed<typeof UpdateDeviceRequest>, profile: { slug: string } | null): Record<string, Change> {
  const out: Record<string, Change> = {};
  if (req.name !== undefined && req.name !== before.name) out.name = { from: before.name, to: req.name };
  if (req.group !== undefined && req.group !== before.group) out.group = { from: before.group, to: req.group };
  if (req.tags !== undefined && req.tags.join('\u0000') !== before.tags.join('\u0000')) out.tags = { from: before.tags, to: req.tags };
  const toSlug = profile?.slug ?? null;
  if (req.profile !== undefined && toSlug !== (before.profile?.slug ?? null)) out.profile = { from: before.profile?.slug ?? null, to: toSlug };
  return out;
}
