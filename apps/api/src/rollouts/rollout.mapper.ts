import {
  type RolloutDeviceDto,
  RolloutDeviceState,
  type RolloutDto,
  type RolloutEventDto,
  RolloutGates,
  RolloutStrategy,
  RolloutTarget,
  type RolloutWaveDto,
  type WaveVerdict,
} from '@edgefleet/contracts';
import type { Prisma } from '@edgefleet/db';

export const ROLLOUT_INCLUDE = {
  version: { select: { id: true, number: true, semver: true, model: { select: { id: true, name: true } } } },
  waves: { orderBy: { index: 'asc' } },
} satisfies Prisma.RolloutInclude;

export type RolloutRow = Prisma.RolloutGetPayload<{ include: typeof ROLLOUT_INCLUDE }>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** `counts`: devices per state (every state present); `perWave`: devices planned in each wave. */
export function mapRollout(r: RolloutRow, counts: Map<string, number>, perWave: Map<number, number>): RolloutDto {
  const waves: RolloutWaveDto[] = r.waves.map((w) => ({
    index: w.index,
    percent: w.percent,
    devices: perWave.get(w.index) ?? 0,
    phase: w.phase as RolloutWaveDto['phase'],
    startedAt: iso(w.startedAt),
    switchedAt: iso(w.switchedAt),
    bakeUntil: iso(w.bakeUntil),
    verdict: (w.verdict ?? null) as WaveVerdict | null,
  }));
  return {
    id: r.id,
    model: { id: r.version.model.id, name: r.version.model.name },
    version: { id: r.version.id, number: r.version.number, semver: r.version.semver },
    target: RolloutTarget.parse(r.target),
    strategy: RolloutStrategy.parse(r.strategy),
    gates: RolloutGates.parse(r.gates),
    status: r.status as RolloutDto['status'],
    currentWave: r.currentWave,
    waves,
    counts: Object.fromEntries(RolloutDeviceState.options.map((s) => [s, counts.get(s) ?? 0])) as RolloutDto['counts'],
    reason: r.reason,
    note: r.note,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    finishedAt: iso(r.finishedAt),
  };
}

export const ROLLOUT_DEVICE_INCLUDE = {
  device: { select: { name: true, profile: { select: { slug: true } } } },
} satisfies Prisma.RolloutDeviceInclude;

export type RolloutDeviceRow = Prisma.RolloutDeviceGetPayload<{ include: typeof ROLLOUT_DEVICE_INCLUDE }>;

export function mapRolloutDevice(d: RolloutDeviceRow, versionNumbers: Map<string, number>): RolloutDeviceDto {
  const prev = d.previousVersionId;
  return {
    deviceId: d.deviceId,
    name: d.device.name,
    profile: d.device.profile?.slug ?? null,
    wave: d.wave,
    state: d.state as RolloutDeviceDto['state'],
    previousVersion: prev && versionNumbers.has(prev) ? { id: prev, number: versionNumbers.get(prev)! } : null,
    skipReason: d.skipReason,
    updatedAt: d.updatedAt.toISOString(),
  };
}

export function mapRolloutEvent(e: Prisma.RolloutEventGetPayload<object>): RolloutEventDto {
  return {
    id: e.id.toString(),
    at: e.at.toISOString(),
    actor: e.actor,
    kind: e.kind as RolloutEventDto['kind'],
    deviceId: e.deviceId,
    from: e.from,
    to: e.to,
    reason: e.reason,
    data: (e.data ?? null) as Record<string, unknown> | null,
  };
}
