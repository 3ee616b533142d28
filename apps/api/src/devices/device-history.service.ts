import { Injectable } from '@nestjs/common';
import { type DeviceEventKind, type DeviceHistoryItem, DeviceHistoryQuery, ErrorCode, type HistoryVersion, type Page } from '@edgefleet/contracts';
import { Prisma } from '@edgefleet/db';
import { AppError } from '../common/app-error.js';
import type { Parsed } from '../common/zod.js';
import { PrismaService } from '../database/prisma.service.js';

interface Row {
  total: bigint;
  source: 'device' | 'rollout' | null;
  id: bigint | null;
  at: Date | null;
  kind: string | null;
  actor: string | null;
  rollout_id: string | null;
  from_state: string | null;
  to_state: string | null;
  message: string | null;
  data: Record<string, unknown> | null;
  version: HistoryVersion | null;
  from_version: HistoryVersion | null;
}

/**
 * A device's history: its own events (device_events) and its rollout transitions (rollout_events, where they
 * already live), newest first, merged and paged by one query.
 */
@Injectable()
export class DeviceHistoryService {
  constructor(private readonly prisma: PrismaService) {}

  async list(orgId: string, deviceId: string, q: Parsed<typeof DeviceHistoryQuery>): Promise<Page<DeviceHistoryItem>> {
    // The query below is raw SQL, not tenant-scoped: the device must be the org's first.
    if (!(await this.prisma.db.device.count({ where: { id: deviceId, orgId } }))) throw new AppError(ErrorCode.DeviceNotFound, `device ${deviceId} not found`);
    const rows = await this.prisma.db.$queryRaw<Row[]>(Prisma.sql`
      WITH h AS (
        SELECT 'device' AS source, e.id, e.at, e.kind, e.actor, e.version_id, e.from_version_id, NULL::uuid AS rollout_id,
          NULL AS from_state, NULL AS to_state, e.message, e.data
        FROM device_events e WHERE e.device_id = ${deviceId}::uuid
        UNION ALL
        SELECT 'rollout', r.id, r.at, r.kind, r.actor, ro.version_id, NULL, r.rollout_id, r."from", r."to", r.reason, r.data
        FROM rollout_events r JOIN rollouts ro ON ro.id = r.rollout_id WHERE r.device_id = ${deviceId}::uuid
      ), page AS (
        SELECT * FROM h ORDER BY at DESC, source DESC, id DESC LIMIT ${q.limit} OFFSET ${q.offset}
      )
      SELECT t.total, p.source, p.id, p.at, p.kind, p.actor, p.rollout_id::text AS rollout_id, p.from_state, p.to_state, p.message, p.data,
        ${versionJson('p.version_id', orgId)} AS version, ${versionJson('p.from_version_id', orgId)} AS from_version
      FROM (SELECT count(*) AS total FROM h) t LEFT JOIN page p ON true
      ORDER BY p.at DESC, p.source DESC, p.id DESC`);
    const total = Number(rows[0]?.total ?? 0);
    return { items: rows.filter((r) => r.id !== null).map(mapRow), total, limit: q.limit, offset: q.offset };
  }
}

/**
 * The version an event names, with its model, as JSON; null unless it is a version of the organization (a device
 * reports its running version unchecked, so the id alone must not reveal another organization's model).
 */
const versionJson = (column: string, orgId: string) => Prisma.sql`(
  SELECT json_build_object('id', v.id, 'number', v.number, 'modelId', m.id, 'modelName', m.name)
  FROM model_versions v JOIN models m ON m.id = v.model_id AND m.org_id = ${orgId}::uuid
  WHERE v.id = ${Prisma.raw(column)})`;

function mapRow(r: Row): DeviceHistoryItem {
  const base = { at: r.at!.toISOString(), actor: r.actor, version: r.version, message: r.message, data: r.data };
  if (r.source === 'rollout') return { ...base, source: 'rollout', id: `r${r.id}`, kind: r.kind!, rolloutId: r.rollout_id!, from: r.from_state, to: r.to_state };
  return { ...base, source: 'device', id: `d${r.id}`, kind: r.kind as DeviceEventKind, fromVersion: r.from_version };
}
