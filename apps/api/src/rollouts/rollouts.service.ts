import { Injectable } from '@nestjs/common';
import {
  CreateRolloutRequest,
  ErrorCode,
  type ListRolloutDevicesQuery,
  type ListRolloutEventsQuery,
  type ListRolloutsQuery,
  type Page,
  type RolloutActionRequest,
  type RolloutDeviceDto,
  type RolloutDto,
  type RolloutEventDto,
} from '@edgefleet/contracts';
import type { Prisma } from '@edgefleet/db';
import {
  createRollout,
  type OperatorAction,
  operatorAction,
  RolloutError,
  type RolloutEffects,
  RolloutPublisher,
} from '@edgefleet/rollouts';
import { AppError } from '../common/app-error.js';
import type { Parsed } from '../common/zod.js';
import { PrismaService } from '../database/prisma.service.js';
import { DesiredNotifier } from '../devices/desired-notifier.service.js';
import { RedisService } from '../redis/redis.service.js';
import { versionWhere } from '../versions/version-ref.js';
import { mapRollout, mapRolloutDevice, mapRolloutEvent, ROLLOUT_DEVICE_INCLUDE, ROLLOUT_INCLUDE } from './rollout.mapper.js';

/** Rollout errors of the shared library become AppErrors with the same code (and so the same HTTP status). */
async function domain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RolloutError) throw new AppError(err.code, err.message, err.details);
    throw err;
  }
}

/**
 * Rollouts as operators see them. Creation and operator actions (pause, resume, abort, rollback) run here in one
 * transaction each; the worker's controller advances running rollouts wave by wave.
 */
@Injectable()
export class RolloutsService {
  private readonly publisher: RolloutPublisher;

  constructor(
    private readonly prisma: PrismaService,
    private readonly notifier: DesiredNotifier,
    redis: RedisService,
  ) {
    this.publisher = new RolloutPublisher(redis.client);
  }

  async create(orgId: string, req: Parsed<typeof CreateRolloutRequest>): Promise<RolloutDto> {
    const model = await this.prisma.db.model.count({ where: { id: req.modelId, orgId } });
    if (!model) throw new AppError(ErrorCode.ModelNotFound, `model ${req.modelId} not found`);
    const version = await this.prisma.db.modelVersion.findFirst({
      where: versionWhere(req.modelId, req.version),
      select: { id: true },
      orderBy: { number: 'desc' },
    });
    if (!version) throw new AppError(ErrorCode.VersionNotFound, `version ${req.version} of model ${req.modelId} not found`);
    const { id, effects } = await domain(() =>
      createRollout(this.prisma.db, {
        orgId,
        versionId: version.id,
        target: req.target,
        strategy: req.strategy,
        gates: req.gates,
        supersede: req.supersede,
        createdBy: req.createdBy ?? null,
        note: req.note ?? null,
      }),
    );
    await this.announce(effects);
    return this.get(orgId, id);
  }

  async list(orgId: string, q: Parsed<typeof ListRolloutsQuery>): Promise<Page<RolloutDto>> {
    const where: Prisma.RolloutWhereInput = { orgId };
    if (q.status) where.status = q.status;
    if (q.modelId) where.version = { modelId: q.modelId };
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.rollout.findMany({
        where,
        include: ROLLOUT_INCLUDE,
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        skip: q.offset,
        take: q.limit,
      }),
      this.prisma.db.rollout.count({ where }),
    ]);
    const ids = rows.map((r) => r.id);
    const [byState, byWave] = await Promise.all([
      this.prisma.db.rolloutDevice.groupBy({ by: ['rolloutId', 'state'], where: { rolloutId: { in: ids } }, _count: { _all: true } }),
      this.prisma.db.rolloutDevice.groupBy({
        by: ['rolloutId', 'wave'],
        where: { rolloutId: { in: ids }, wave: { not: null } },
        _count: { _all: true },
      }),
    ]);
    const items = rows.map((r) =>
      mapRollout(
        r,
        new Map(byState.filter((g) => g.rolloutId === r.id).map((g) => [g.state, g._count._all])),
        new Map(byWave.filter((g) => g.rolloutId === r.id).map((g) => [g.wave!, g._count._all])),
      ),
    );
    return { items, total, limit: q.limit, offset: q.offset };
  }

  async get(orgId: string, id: string): Promise<RolloutDto> {
    const r = await this.prisma.db.rollout.findFirst({ where: { id, orgId }, include: ROLLOUT_INCLUDE });
    if (!r) throw new AppError(ErrorCode.RolloutNotFound, `rollout ${id} not found`);
    const [byState, byWave] = await Promise.all([
      this.prisma.db.rolloutDevice.groupBy({ by: ['state'], where: { rolloutId: id }, _count: { _all: true } }),
      this.prisma.db.rolloutDevice.groupBy({ by: ['wave'], where: { rolloutId: id, wave: { not: null } }, _count: { _all: true } }),
    ]);
    return mapRollout(r, new Map(byState.map((g) => [g.state, g._count._all])), new Map(byWave.map((g) => [g.wave!, g._count._all])));
  }

  async devices(orgId: string, id: string, q: Parsed<typeof ListRolloutDevicesQuery>): Promise<Page<RolloutDeviceDto>> {
    await this.find(orgId, id);
    const where: Prisma.RolloutDeviceWhereInput = { rolloutId: id };
    if (q.state) where.state = q.state;
    if (q.wave !== undefined) where.wave = q.wave;
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.rolloutDevice.findMany({
        where,
        include: ROLLOUT_DEVICE_INCLUDE,
        orderBy: [{ wave: { sort: 'asc', nulls: 'last' } }, { deviceId: 'asc' }],
        skip: q.offset,
        take: q.limit,
      }),
      this.prisma.db.rolloutDevice.count({ where }),
    ]);
    const prev = [...new Set(rows.map((r) => r.previousVersionId).filter((v): v is string => v !== null))];
    const versions = new Map(
      (await this.prisma.db.modelVersion.findMany({ where: { id: { in: prev } }, select: { id: true, number: true } })).map((v) => [
        v.id,
        v.number,
      ]),
    );
    return { items: rows.map((r) => mapRolloutDevice(r, versions)), total, limit: q.limit, offset: q.offset };
  }

  /** History, oldest first; `after` (an event id) reads only what is new since. */
  async events(orgId: string, id: string, q: Parsed<typeof ListRolloutEventsQuery>): Promise<Page<RolloutEventDto>> {
    await this.find(orgId, id);
    const where: Prisma.RolloutEventWhereInput = { rolloutId: id };
    if (q.after) where.id = { gt: BigInt(q.after) };
    if (q.deviceId) where.deviceId = q.deviceId.toLowerCase();
    if (q.kind) where.kind = q.kind;
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.rolloutEvent.findMany({ where, orderBy: { id: 'asc' }, skip: q.offset, take: q.limit }),
      this.prisma.db.rolloutEvent.count({ where }),
    ]);
    return { items: rows.map(mapRolloutEvent), total, limit: q.limit, offset: q.offset };
  }

  /** pause | resume | abort (stop and roll back now) | rollback (also of a completed rollout); 409 where it makes no sense. */
  async act(orgId: string, id: string, action: OperatorAction, req: Parsed<typeof RolloutActionRequest>): Promise<RolloutDto> {
    const effects = await domain(() => operatorAction(this.prisma.db, orgId, id, action, req));
    await this.announce(effects);
    return this.get(orgId, id);
  }

  private async find(orgId: string, id: string) {
    const r = await this.prisma.db.rollout.findFirst({ where: { id, orgId }, select: { id: true } });
    if (!r) throw new AppError(ErrorCode.RolloutNotFound, `rollout ${id} not found`);
    return r;
  }

  /** After the commit: wake the devices' long polls and sockets (here and on every instance), then tell `/events`. */
  private async announce(effects: RolloutEffects) {
    await this.notifier.changed([...effects.deviceIds]);
    for (const change of effects.changes) await this.publisher.rolloutChanged(change);
  }
}
