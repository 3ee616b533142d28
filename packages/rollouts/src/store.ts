import { randomUUID } from 'node:crypto';
import {
  ACTIVE_ROLLOUT_STATUSES,
  ErrorCode,
  type RolloutDeviceState,
  type RolloutEventKind,
  type RolloutGates,
  type RolloutStatus,
  type RolloutStrategy,
  type RolloutTarget,
} from '@edgefleet/contracts';
import { Prisma, type PrismaClient } from '@edgefleet/db';
import { RolloutError } from './errors.js';
import { cumulativeWaveSizes, planWaves, wavePercents } from './plan.js';
import { noEffects, type RolloutEffects } from './publisher.js';

export type Tx = Prisma.TransactionClient;

/** The controller's actor name in events. */
export const SYSTEM_ACTOR = 'system';

/** Device states that hold (or are about to hold) the candidate, or its shadow: what a rollback must undo. */
const TOUCHED_STATES: RolloutDeviceState[] = ['shadow', 'assigned', 'running', 'failed'];

export interface CreateRolloutInput {
  orgId: string;
  versionId: string;
  target: RolloutTarget;
  strategy: RolloutStrategy;
  gates: RolloutGates;
  supersede: boolean;
  createdBy?: string | null;
  note?: string | null;
}

export interface RolloutRef {
  id: string;
  versionId: string;
  status: string;
  currentWave: number;
}

export interface DeviceTransition {
  deviceId: string;
  from: string | null;
  to: string;
}

/**
 * Appends rollout history: one event per rollout transition, or one `device` event per device transition
 * (createMany, so a wave of thousands is one statement).
 */
export async function recordEvent(
  tx: Tx,
  rolloutId: string,
  e: {
    kind: RolloutEventKind;
    actor: string;
    from?: string | null;
    to?: string | null;
    reason?: string | null;
    data?: Record<string, unknown> | null;
  },
): Promise<void> {
  await tx.rolloutEvent.create({
    data: {
      rolloutId,
      kind: e.kind,
      actor: e.actor,
      from: e.from ?? null,
      to: e.to ?? null,
      reason: e.reason ?? null,
      data: (e.data ?? undefined) as Prisma.InputJsonValue | undefined,
    },
  });
}

export async function recordDeviceEvents(
  tx: Tx,
  rolloutId: string,
  actor: string,
  transitions: readonly DeviceTransition[],
  reason: string | null = null,
): Promise<void> {
  if (transitions.length === 0) return;
  await tx.rolloutEvent.createMany({
    data: transitions.map((t) => ({ rolloutId, kind: 'device', actor, deviceId: t.deviceId, from: t.from, to: t.to, reason })),
  });
}

/** A RolloutChangedEvent for the effects, from the rollout's state after the transition. */
export function changed(
  effects: RolloutEffects,
  r: { id: string; status: string; currentWave: number },
  kind: RolloutEventKind,
  reason: string | null,
  at = new Date(),
): void {
  effects.changes.push({
    v: 1,
    rolloutId: r.id,
    status: r.status as RolloutStatus,
    currentWave: r.currentWave,
    kind,
    reason,
    at: at.toISOString(),
  });
}

/**
 * Locks the rollout row for this transaction. `skipLocked`: the controller's choice (another tick or an
 * operator action holds it: skip it this time); operators' actions wait for it instead. Null when not found
 * (or skipped).
 */
export async function lockRollout(tx: Tx, id: string, opts: { skipLocked?: boolean; orgId?: string } = {}) {
  const rows = await tx.$queryRaw<{ id: string }[]>(
    opts.skipLocked
      ? Prisma.sql`SELECT id::text FROM rollouts WHERE id = ${id}::uuid FOR UPDATE SKIP LOCKED`
      : Prisma.sql`SELECT id::text FROM rollouts WHERE id = ${id}::uuid FOR UPDATE`,
  );
  if (rows.length === 0) return null;
  const r = await tx.rollout.findUnique({ where: { id }, include: { version: { select: { id: true, number: true } } } });
  if (!r || (opts.orgId && r.orgId !== opts.orgId)) return null;
  return r;
}

interface TargetDevice {
  id: string;
  name: string;
  profileId: string | null;
  profile: { slug: string } | null;
  assignment: { versionId: string } | null;
}

/**
 * Creates a rollout in one transaction: resolves the target to devices (revoked ones are left out), skips those
 * that cannot run the version (no profile, no recommended variant for their profile, already assigned it),
 * refuses with `rollout/conflict` (409) when an eligible device belongs to an active rollout unless `supersede`
 * (then those rollouts become `superseded`), plans the waves and records `created`.
 */
export async function createRollout(db: PrismaClient, input: CreateRolloutInput): Promise<{ id: string; effects: RolloutEffects }> {
  const id = randomUUID();
  const effects = noEffects();
  await db.$transaction(
    async (tx) => {
      // One creation at a time, so two overlapping rollouts cannot both pass the conflict check.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('edgefleet:rollout-create'))`;
      const version = await tx.modelVersion.findFirst({
        where: { id: input.versionId, model: { orgId: input.orgId } },
        select: { id: true, number: true },
      });
      if (!version) throw new RolloutError(ErrorCode.VersionNotFound, `version ${input.versionId} not found`);
      const where: Prisma.DeviceWhereInput = { orgId: input.orgId, revokedAt: null };
      const t = input.target;
      if (t.deviceIds) where.id = { in: t.deviceIds.map((d) => d.toLowerCase()) };
      if (t.group) where.group = t.group;
      if (t.tags) where.tags = { hasEvery: t.tags };
      const devices: TargetDevice[] = await tx.device.findMany({
        where,
        select: { id: true, name: true, profileId: true, profile: { select: { slug: true } }, assignment: { select: { versionId: true } } },
      });
      const recommended = new Set(
        (await tx.variant.findMany({ where: { versionId: version.id, recommended: true }, select: { profileId: true } })).map(
          (v) => v.profileId,
        ),
      );
      const eligible: string[] = [];
      const skipped: { deviceId: string; reason: string }[] = [];
      for (const d of devices) {
        if (!d.profileId) skipped.push({ deviceId: d.id, reason: 'the device has no hardware profile' });
        else if (!recommended.has(d.profileId))
          skipped.push({
            deviceId: d.id,
            reason: `no recommended variant of v${version.number} for profile ${d.profile?.slug ?? d.profileId}`,
          });
        else if (d.assignment?.versionId === version.id) skipped.push({ deviceId: d.id, reason: `already assigned v${version.number}` });
        else eligible.push(d.id);
      }
      if (eligible.length === 0) {
        throw new RolloutError(
          ErrorCode.RolloutNoDevices,
          devices.length === 0
            ? 'the target matches no device'
            : `none of the ${devices.length} targeted device(s) can run v${version.number}`,
          { skipped: skipped.slice(0, 100) },
        );
      }

      const conflicts = await tx.rolloutDevice.findMany({
        where: {
          deviceId: { in: eligible },
          state: { not: 'skipped' },
          rollout: { status: { in: [...ACTIVE_ROLLOUT_STATUSES] }, orgId: input.orgId },
        },
        select: { rolloutId: true },
        distinct: ['rolloutId'],
      });
      const conflicting = conflicts.map((c) => c.rolloutId);
      if (conflicting.length > 0 && !input.supersede) {
        throw new RolloutError(
          ErrorCode.RolloutConflict,
          `target devices belong to active rollout(s) ${conflicting.join(', ')}; pass supersede: true to take them over`,
          {
            rolloutIds: conflicting,
          },
        );
      }

      const percents = wavePercents(input.strategy);
      const plan = planWaves(id, eligible, percents);
      const sizes = cumulativeWaveSizes(eligible.length, percents);
      await tx.rollout.create({
        data: {
          id,
          orgId: input.orgId,
          versionId: version.id,
          target: input.target as Prisma.InputJsonValue,
          strategy: input.strategy as Prisma.InputJsonValue,
          gates: input.gates as Prisma.InputJsonValue,
          status: 'running',
          createdBy: input.createdBy ?? null,
          note: input.note ?? null,
        },
      });
      await tx.rolloutWave.createMany({ data: percents.map((percent, index) => ({ rolloutId: id, index, percent })) });
      await tx.rolloutDevice.createMany({
        data: [
          ...eligible.map((deviceId) => ({ rolloutId: id, deviceId, wave: plan.get(deviceId)!, state: 'pending' })),
          ...skipped.map((s) => ({ rolloutId: id, deviceId: s.deviceId, wave: null, state: 'skipped', skipReason: s.reason })),
        ],
      });
      for (const old of conflicting) await supersede(tx, old, id, input.createdBy ?? SYSTEM_ACTOR, effects);
      await recordEvent(tx, id, {
        kind: 'created',
        actor: input.createdBy ?? 'api',
        to: 'running',
        reason: input.note ?? null,
        data: { versionId: version.id, devices: eligible.length, skipped: skipped.length, waveSizes: sizes, superseded: conflicting },
      });
      changed(effects, { id, status: 'running', currentWave: 0 }, 'created', null);
    },
    { timeout: 60_000 },
  );
  return { id, effects };
}

/** An older rollout loses its devices to a newer one: `superseded`; its devices keep what they run, shadows end. */
async function supersede(tx: Tx, rolloutId: string, byId: string, actor: string, effects: RolloutEffects) {
  const r = await lockRollout(tx, rolloutId);
  if (!r || !ACTIVE_ROLLOUT_STATUSES.includes(r.status as RolloutStatus)) return;
  await clearShadow(tx, r, await devicesIn(tx, r.id, ['shadow']), actor, effects, 'pending');
  const reason = `superseded by rollout ${byId}`;
  const row = await tx.rollout.update({ where: { id: r.id }, data: { status: 'superseded', reason, finishedAt: new Date() } });
  await recordEvent(tx, r.id, { kind: 'superseded', actor, from: r.status, to: 'superseded', reason, data: { by: byId } });
  changed(effects, row, 'superseded', reason);
}

/** Device ids of a rollout in the given states, optionally of one wave. */
export async function devicesIn(tx: Tx, rolloutId: string, states: readonly RolloutDeviceState[], wave?: number): Promise<string[]> {
  const rows = await tx.rolloutDevice.findMany({
    where: { rolloutId, state: { in: [...states] }, ...(wave === undefined ? {} : { wave }) },
    select: { deviceId: true },
  });
  return rows.map((r) => r.deviceId);
}

async function statesOf(tx: Tx, rolloutId: string, deviceIds: readonly string[]): Promise<Map<string, string>> {
  const rows = await tx.rolloutDevice.findMany({
    where: { rolloutId, deviceId: { in: [...deviceIds] } },
    select: { deviceId: true, state: true },
  });
  return new Map(rows.map((r) => [r.deviceId, r.state]));
}

/**
 * Switches devices to the candidate: their assignment becomes the candidate (source `rollout`, this rollout),
 * remembering what they had (`previousVersionId`, also on the RolloutDevice) so a rollback can return them;
 * any shadow ends. State → `assigned`.
 */
export async function switchDevices(
  tx: Tx,
  rollout: { id: string; versionId: string },
  deviceIds: readonly string[],
  actor: string,
  effects: RolloutEffects,
): Promise<number> {
  if (deviceIds.length === 0) return 0;
  const ids = [...deviceIds];
  const before = await statesOf(tx, rollout.id, ids);
  await tx.$executeRaw(Prisma.sql`
    INSERT INTO device_assignments AS a (device_id, version_id, assigned_by, source, rollout_id, previous_version_id, shadow_version_id, shadow_sample_rate, updated_at)
    SELECT u.d, ${rollout.versionId}::uuid, ${actor}, 'rollout', ${rollout.id}::uuid, cur.version_id, NULL, NULL, now()
    FROM unnest(${ids}::uuid[]) AS u(d) LEFT JOIN device_assignments cur ON cur.device_id = u.d
    ON CONFLICT (device_id) DO UPDATE SET
      version_id = EXCLUDED.version_id, assigned_by = EXCLUDED.assigned_by, source = 'rollout', rollout_id = EXCLUDED.rollout_id,
      previous_version_id = EXCLUDED.previous_version_id, shadow_version_id = NULL, shadow_sample_rate = NULL, updated_at = now()`);
  await tx.$executeRaw(Prisma.sql`
    UPDATE rollout_devices rd SET state = 'assigned', previous_version_id = a.previous_version_id, updated_at = now()
    FROM device_assignments a
    WHERE rd.rollout_id = ${rollout.id}::uuid AND rd.device_id = ANY(${ids}::uuid[]) AND a.device_id = rd.device_id`);
  await recordDeviceEvents(
    tx,
    rollout.id,
    actor,
    ids.map((deviceId) => ({ deviceId, from: before.get(deviceId) ?? null, to: 'assigned' })),
  );
  for (const id of ids) effects.deviceIds.add(id);
  return ids.length;
}

/**
 * Asks devices to evaluate the candidate in shadow beside what they serve. Only devices that serve something
 * (have an assignment) can: the others stay `pending`. Returns the devices now in `shadow`.
 */
export async function setShadow(
  tx: Tx,
  rollout: { id: string; versionId: string },
  deviceIds: readonly string[],
  sampleRate: number,
  actor: string,
  effects: RolloutEffects,
): Promise<string[]> {
  if (deviceIds.length === 0) return [];
  const rows = await tx.$queryRaw<{ device_id: string }[]>(Prisma.sql`
    UPDATE device_assignments SET shadow_version_id = ${rollout.versionId}::uuid, shadow_sample_rate = ${sampleRate}, updated_at = now()
    WHERE device_id = ANY(${[...deviceIds]}::uuid[]) AND version_id <> ${rollout.versionId}::uuid
    RETURNING device_id::text`);
  const ids = rows.map((r) => r.device_id);
  if (ids.length === 0) return [];
  const before = await statesOf(tx, rollout.id, ids);
  await tx.rolloutDevice.updateMany({ where: { rolloutId: rollout.id, deviceId: { in: ids } }, data: { state: 'shadow' } });
  await recordDeviceEvents(
    tx,
    rollout.id,
    actor,
    ids.map((deviceId) => ({ deviceId, from: before.get(deviceId) ?? null, to: 'shadow' })),
  );
  for (const id of ids) effects.deviceIds.add(id);
  return ids;
}

/** Ends the candidate's shadow on these devices; their RolloutDevice state becomes `to`. */
export async function clearShadow(
  tx: Tx,
  rollout: { id: string; versionId: string },
  deviceIds: readonly string[],
  actor: string,
  effects: RolloutEffects,
  to: RolloutDeviceState,
): Promise<void> {
  if (deviceIds.length === 0) return;
  const ids = [...deviceIds];
  await tx.deviceAssignment.updateMany({
    where: { deviceId: { in: ids }, shadowVersionId: rollout.versionId },
    data: { shadowVersionId: null, shadowSampleRate: null },
  });
  const before = await statesOf(tx, rollout.id, ids);
  await tx.rolloutDevice.updateMany({ where: { rolloutId: rollout.id, deviceId: { in: ids } }, data: { state: to } });
  await recordDeviceEvents(
    tx,
    rollout.id,
    actor,
    ids.filter((d) => before.get(d) !== to).map((deviceId) => ({ deviceId, from: before.get(deviceId) ?? null, to })),
  );
  for (const id of ids) effects.deviceIds.add(id);
}

/**
 * Rolls a rollout back in the caller's transaction (the rollout row locked): every device it switched and still
 * holds returns to its previous version (no previous version: the assignment is deleted), shadows end, devices
 * become `rolled_back`, the wave in progress `failed` (unless it passed), and the rollout goes
 * rolling_back → rolled_back with `reason`. Devices another rollout has since taken over are left alone.
 */
export async function rollBack(
  tx: Tx,
  rollout: RolloutRef,
  actor: string,
  reason: string,
  effects: RolloutEffects,
  data?: Record<string, unknown>,
): Promise<number> {
  const from = rollout.status;
  await recordEvent(tx, rollout.id, { kind: 'rollback.started', actor, from, to: 'rolling_back', reason, data: data ?? null });
  const touched = await tx.rolloutDevice.findMany({
    where: { rolloutId: rollout.id, state: { in: TOUCHED_STATES } },
    select: { deviceId: true, state: true, previousVersionId: true },
  });
  const ids = touched.map((t) => t.deviceId);
  if (ids.length > 0) {
    // Shadows of the candidate end (whatever the device runs).
    await tx.deviceAssignment.updateMany({
      where: { deviceId: { in: ids }, shadowVersionId: rollout.versionId },
      data: { shadowVersionId: null, shadowSampleRate: null },
    });
    // Devices this rollout still holds go back to what they had before it.
    await tx.$executeRaw(Prisma.sql`
      UPDATE device_assignments a SET version_id = rd.previous_version_id, previous_version_id = NULL, assigned_by = ${actor}, updated_at = now()
      FROM rollout_devices rd
      WHERE rd.rollout_id = ${rollout.id}::uuid AND rd.device_id = a.device_id AND a.rollout_id = ${rollout.id}::uuid
        AND a.version_id = ${rollout.versionId}::uuid AND rd.previous_version_id IS NOT NULL AND a.device_id = ANY(${ids}::uuid[])`);
    await tx.$executeRaw(Prisma.sql`
      DELETE FROM device_assignments a USING rollout_devices rd
      WHERE rd.rollout_id = ${rollout.id}::uuid AND rd.device_id = a.device_id AND a.rollout_id = ${rollout.id}::uuid
        AND a.version_id = ${rollout.versionId}::uuid AND rd.previous_version_id IS NULL AND a.device_id = ANY(${ids}::uuid[])`);
    await tx.rolloutDevice.updateMany({ where: { rolloutId: rollout.id, deviceId: { in: ids } }, data: { state: 'rolled_back' } });
    await recordDeviceEvents(
      tx,
      rollout.id,
      actor,
      touched.map((t) => ({ deviceId: t.deviceId, from: t.state, to: 'rolled_back' })),
      reason,
    );
    for (const id of ids) effects.deviceIds.add(id);
  }
  await tx.rolloutWave.updateMany({
    where: { rolloutId: rollout.id, index: rollout.currentWave, phase: { notIn: ['passed', 'failed'] } },
    data: { phase: 'failed' },
  });
  const row = await tx.rollout.update({ where: { id: rollout.id }, data: { status: 'rolled_back', reason, finishedAt: new Date() } });
  await recordEvent(tx, rollout.id, {
    kind: 'rolled_back',
    actor,
    from: 'rolling_back',
    to: 'rolled_back',
    reason,
    data: { devices: ids.length },
  });
  changed(effects, row, 'rollback.started', reason);
  changed(effects, row, 'rolled_back', reason);
  return ids.length;
}

export type OperatorAction = 'pause' | 'resume' | 'abort' | 'rollback';

const ALLOWED_FROM: Record<OperatorAction, readonly RolloutStatus[]> = {
  pause: ['running'],
  resume: ['paused'],
  abort: ['running', 'paused'],
  rollback: ['running', 'paused', 'completed'],
};

/**
 * An operator's action, in one transaction with the rollout row locked (waiting for a tick that holds it):
 * pause, resume (the inconclusive clock of the current wave restarts), abort (stop and roll back now) and
 * rollback (also of a completed rollout). `rollout/invalid_state` (409) where it makes no sense.
 */
export async function operatorAction(
  db: PrismaClient,
  orgId: string,
  rolloutId: string,
  action: OperatorAction,
  who: { actor?: string | undefined; reason?: string | undefined },
): Promise<RolloutEffects> {
  const effects = noEffects();
  const actor = who.actor ?? 'api';
  await db.$transaction(
    async (tx) => {
      const r = await lockRollout(tx, rolloutId, { orgId });
      if (!r) throw new RolloutError(ErrorCode.RolloutNotFound, `rollout ${rolloutId} not found`);
      if (!ALLOWED_FROM[action].includes(r.status as RolloutStatus)) {
        throw new RolloutError(ErrorCode.RolloutInvalidState, `cannot ${action} a rollout that is ${r.status}`, {
          status: r.status,
          allowedFrom: ALLOWED_FROM[action],
        });
      }
      if (action === 'pause' || action === 'resume') {
        const to = action === 'pause' ? 'paused' : 'running';
        // `reason` on the rollout says why it is paused; a resume clears it (its own reason is in the history).
        const reason = action === 'pause' ? (who.reason ?? `paused by ${actor}`) : null;
        if (action === 'resume')
          await tx.rolloutWave.updateMany({ where: { rolloutId, index: r.currentWave }, data: { inconclusiveSince: null } });
        const row = await tx.rollout.update({ where: { id: rolloutId }, data: { status: to, reason } });
        const kind = action === 'pause' ? 'paused' : 'resumed';
        await recordEvent(tx, rolloutId, { kind, actor, from: r.status, to, reason: who.reason ?? null });
        changed(effects, row, kind, reason);
        return;
      }
      const reason = who.reason ?? `${action === 'abort' ? 'aborted' : 'rolled back'} by ${actor}`;
      await rollBack(tx, r, actor, reason, effects, { action });
    },
    { timeout: 60_000 },
  );
  return effects;
}

/** The active rollout (running, paused, rolling back) that holds each of these devices, if any. */
export async function activeRolloutsOf(db: PrismaClient | Tx, deviceIds: readonly string[]): Promise<Map<string, string>> {
  if (deviceIds.length === 0) return new Map();
  const rows = await db.rolloutDevice.findMany({
    where: { deviceId: { in: [...deviceIds] }, state: { not: 'skipped' }, rollout: { status: { in: [...ACTIVE_ROLLOUT_STATUSES] } } },
    select: { deviceId: true, rolloutId: true },
  });
  return new Map(rows.map((r) => [r.deviceId, r.rolloutId]));
}
