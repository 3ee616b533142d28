import { type GateResult, RolloutGates, RolloutStrategy, type WaveVerdict } from '@edgefleet/contracts';
import { Prisma, type PrismaClient } from '@edgefleet/db';
import {
  changed,
  combine,
  devicesIn,
  failFast,
  healthStats,
  judgeWave,
  lockRollout,
  noEffects,
  orderDevices,
  recordDeviceEvents,
  recordEvent,
  refreshRunning,
  type RolloutEffects,
  type RolloutPublisher,
  rollBack,
  setShadow,
  shadowGate,
  shadowStats,
  switchDevices,
  SYSTEM_ACTOR,
  type Tx,
  waveStats,
  candidateRequests,
  baselineRequests,
} from '@edgefleet/rollouts';
import type { Logger } from 'pino';

export interface TickSummary {
  rollouts: number;
  steps: number;
}

/** Steps one rollout may take in one tick (a wave with zero bake can go pending → switching → baking → passed at once). */
const MAX_STEPS_PER_TICK = 12;

type LockedRollout = NonNullable<Awaited<ReturnType<typeof lockRollout>>>;
type WaveRow = Prisma.RolloutWaveGetPayload<object>;

interface Step {
  /** The rollout moved on; try the next step in the same tick. */
  progressed: boolean;
}

/**
 * The rollout controller: every tick advances each active rollout by as many steps as it can take now. The
 * whole state machine is persisted (rollout status and current wave, wave phase and timestamps, device states),
 * each step is one transaction holding the rollout row (`FOR UPDATE SKIP LOCKED`: a second worker, or an
 * operator's action in the API, makes this tick skip the rollout), and each step is idempotent, so a restarted
 * worker continues where the last one stopped.
 *
 * Per wave: pending → (shadow: agreement judged) → switching (at most maxDevicesPerMinute) → baking until
 * bakeUntil → passed (next wave, or completed) | failed (roll back). Health and error rate are judged every tick
 * from the start of the wave (fail fast); the other gates at the end of the bake. An inconclusive wave waits,
 * and pauses the rollout after gates.inconclusiveTimeoutS.
 */
export class RolloutControllerService {
  constructor(private readonly deps: { db: PrismaClient; logger: Logger; publisher: RolloutPublisher }) {}

  async tick(): Promise<TickSummary> {
    const active = await this.deps.db.rollout.findMany({
      where: { status: { in: ['running', 'rolling_back'] } },
      select: { id: true },
      orderBy: { createdAt: 'asc' },
    });
    let steps = 0;
    for (const { id } of active) {
      try {
        steps += await this.advance(id);
      } catch (err) {
        // One broken rollout must not stop the others; the next tick retries it.
        this.deps.logger.error({ err, rolloutId: id }, 'rollout step failed');
      }
    }
    return { rollouts: active.length, steps };
  }

  /** Runs steps until the rollout has to wait; returns how many made progress. */
  async advance(rolloutId: string): Promise<number> {
    let steps = 0;
    for (let i = 0; i < MAX_STEPS_PER_TICK; i++) {
      const effects = noEffects();
      const step = await this.deps.db.$transaction(
        async (tx) => {
          const r = await lockRollout(tx, rolloutId, { skipLocked: true });
          if (!r) return { progressed: false };
          return this.step(tx, r, effects);
        },
        { timeout: 60_000 },
      );
      await this.deps.publisher.publish(effects);
      if (!step.progressed) break;
      steps++;
    }
    return steps;
  }

  private async step(tx: Tx, r: LockedRollout, effects: RolloutEffects): Promise<Step> {
    if (r.status === 'rolling_back') {
      // Rollbacks run in one transaction; this only finishes one a crash could have interrupted.
      await rollBack(tx, r, SYSTEM_ACTOR, r.reason ?? 'rollback resumed', effects);
      return { progressed: false };
    }
    if (r.status !== 'running') return { progressed: false };
    const wave = await tx.rolloutWave.findUnique({ where: { rolloutId_index: { rolloutId: r.id, index: r.currentWave } } });
    if (!wave) {
      this.deps.logger.error({ rolloutId: r.id, wave: r.currentWave }, 'rollout wave missing');
      return { progressed: false };
    }
    const gates = RolloutGates.parse(r.gates);
    const strategy = RolloutStrategy.parse(r.strategy);
    const now = new Date();
    switch (wave.phase) {
      case 'pending':
        return this.startWave(tx, r, wave, gates, effects, now);
      case 'shadow':
        return this.judgeShadow(tx, r, wave, gates, effects, now);
      case 'switching':
        return this.switchWave(tx, r, wave, gates, strategy, effects, now);
      case 'baking':
        return this.bake(tx, r, wave, gates, effects, now);
      case 'passed':
        return this.nextWave(tx, r, wave, effects);
      default:
        // failed: the rollback that failed it also ended the rollout.
        return { progressed: false };
    }
  }

  private label(r: LockedRollout) {
    return `v${r.version.number}`;
  }

  private waveName(r: LockedRollout, index: number, waves?: number) {
    const total = waves ?? this.waveCount(r);
    return `wave ${index + 1} of ${total}`;
  }

  private waveCount(r: LockedRollout) {
    const s = RolloutStrategy.parse(r.strategy);
    return s.kind === 'canary' ? s.waves.length : 1;
  }

  private async startWave(tx: Tx, r: LockedRollout, wave: WaveRow, gates: RolloutGates, effects: RolloutEffects, now: Date): Promise<Step> {
    const pending = await devicesIn(tx, r.id, ['pending'], wave.index);
    await recordEvent(tx, r.id, {
      kind: 'wave.started',
      actor: SYSTEM_ACTOR,
      from: 'pending',
      to: gates.shadow ? 'shadow' : 'switching',
      data: { wave: wave.index, devices: pending.length },
    });
    if (pending.length === 0) {
      // 3 devices at 5 % → 25 % → 100 %: the second wave adds nobody.
      await tx.rolloutWave.update({
        where: { rolloutId_index: { rolloutId: r.id, index: wave.index } },
        data: { phase: 'passed', startedAt: now, switchedAt: now, bakeUntil: now },
      });
      await recordEvent(tx, r.id, {
        kind: 'wave.passed',
        actor: SYSTEM_ACTOR,
        from: 'pending',
        to: 'passed',
        reason: 'the wave adds no device',
        data: { wave: wave.index },
      });
      return { progressed: true };
    }
    if (gates.shadow) {
      const shadowing = await setShadow(tx, r, pending, gates.shadow.sampleRate, SYSTEM_ACTOR, effects);
      await tx.rolloutWave.update({
        where: { rolloutId_index: { rolloutId: r.id, index: wave.index } },
        data: { phase: 'shadow', startedAt: now },
      });
      await recordEvent(tx, r.id, {
        kind: 'wave.shadow',
        actor: SYSTEM_ACTOR,
        from: 'pending',
        to: 'shadow',
        data: { wave: wave.index, devices: shadowing.length, sampleRate: gates.shadow.sampleRate },
      });
    } else {
      await tx.rolloutWave.update({
        where: { rolloutId_index: { rolloutId: r.id, index: wave.index } },
        data: { phase: 'switching', startedAt: now },
      });
    }
    changed(effects, r, 'wave.started', null, now);
    return { progressed: true };
  }

  private waveRef(r: LockedRollout, wave: WaveRow) {
    return { rolloutId: r.id, candidateVersionId: r.versionId, wave: wave.index, startedAt: wave.startedAt ?? new Date() };
  }

  /** Health and error rate, judged every tick: a failure aborts at once. */
  private async failFast(
    tx: Tx,
    r: LockedRollout,
    wave: WaveRow,
    gates: RolloutGates,
    effects: RolloutEffects,
    now: Date,
  ): Promise<boolean> {
    const ref = this.waveRef(r, wave);
    const health = await healthStats(tx, ref);
    await this.markFailed(tx, r, health.failed);
    const candidate = gates.errorRate ? await candidateRequests(tx, ref) : null;
    const baseline =
      candidate && gates.errorRate && candidate.count >= gates.errorRate.minRequests ? await baselineRequests(tx, ref) : null;
    const failed = failFast(gates, { candidate: candidate ?? { count: 0, errors: 0, histogram: [] }, baseline, health }, this.label(r));
    if (failed.length === 0) return false;
    await this.failWave(tx, r, wave, combine(failed, now), effects);
    return true;
  }

  /** Devices that failed the candidate become `failed` (they are rolled back with the rest). */
  private async markFailed(tx: Tx, r: LockedRollout, failed: { device_id: string; state: string }[]) {
    const fresh = failed.filter((f) => f.state !== 'failed' && f.state !== 'rolled_back');
    if (fresh.length === 0) return;
    await tx.rolloutDevice.updateMany({
      where: { rolloutId: r.id, deviceId: { in: fresh.map((f) => f.device_id) } },
      data: { state: 'failed' },
    });
    await recordDeviceEvents(
      tx,
      r.id,
      SYSTEM_ACTOR,
      fresh.map((f) => ({ deviceId: f.device_id, from: f.state, to: 'failed' })),
      `failed ${this.label(r)}`,
    );
  }

  private async judgeShadow(
    tx: Tx,
    r: LockedRollout,
    wave: WaveRow,
    gates: RolloutGates,
    effects: RolloutEffects,
    now: Date,
  ): Promise<Step> {
    if (await this.failFast(tx, r, wave, gates, effects, now)) return { progressed: false };
    if (!gates.shadow) {
      await tx.rolloutWave.update({ where: { rolloutId_index: { rolloutId: r.id, index: wave.index } }, data: { phase: 'switching' } });
      return { progressed: true };
    }
    const result = shadowGate(gates.shadow, await shadowStats(tx, this.waveRef(r, wave)));
    const settled = await this.settle(tx, r, wave, gates, combine([result], now), effects, now, { from: 'shadow', to: 'switching', reason: result.reason });
    return settled ?? { progressed: true };
  }

  /**
   * Acts on a wave's verdict: a failure rolls back, an inconclusive one waits (or pauses), a pass moves the wave to
   * `next.to` with the verdict recorded. Returns the step for the first two, null after a pass (the caller goes on).
   */
  private async settle(
    tx: Tx,
    r: LockedRollout,
    wave: WaveRow,
    gates: RolloutGates,
    verdict: WaveVerdict,
    effects: RolloutEffects,
    now: Date,
    next: { from: string; to: 'switching' | 'passed'; reason?: string },
  ): Promise<Step | null> {
    if (verdict.verdict === 'fail') {
      await this.failWave(tx, r, wave, verdict, effects);
      return { progressed: false };
    }
    if (verdict.verdict === 'inconclusive') return this.inconclusive(tx, r, wave, gates, verdict, effects, now);
    await tx.rolloutWave.update({
      where: { rolloutId_index: { rolloutId: r.id, index: wave.index } },
      data: { phase: next.to, verdict: verdict as unknown as Prisma.InputJsonValue, inconclusiveSince: null },
    });
    await recordEvent(tx, r.id, { kind: 'wave.verdict', actor: SYSTEM_ACTOR, from: next.from, to: next.to, reason: next.reason, data: { wave: wave.index, verdict } });
    return null;
  }

  private async switchWave(
    tx: Tx,
    r: LockedRollout,
    wave: WaveRow,
    gates: RolloutGates,
    strategy: RolloutStrategy,
    effects: RolloutEffects,
    now: Date,
  ): Promise<Step> {
    if (await this.failFast(tx, r, wave, gates, effects, now)) return { progressed: false };
    await recordDeviceEvents(tx, r.id, SYSTEM_ACTOR, await refreshRunning(tx, this.waveRef(r, wave)));
    // Shadowing devices first (their candidate was judged on them), then in plan order: a rate-limited wave
    // switches the same devices first whichever worker ticks.
    const shadowing = new Set(await devicesIn(tx, r.id, ['shadow'], wave.index));
    const waiting = orderDevices(r.id, await devicesIn(tx, r.id, ['pending', 'shadow'], wave.index)).sort(
      (a, b) => Number(shadowing.has(b)) - Number(shadowing.has(a)),
    );
    let budget = waiting.length;
    if (strategy.kind === 'canary' && strategy.maxDevicesPerMinute !== undefined) {
      // The limit holds across ticks and waves: count the switches of the last minute in the history.
      const recent = await tx.rolloutEvent.count({
        where: { rolloutId: r.id, kind: 'device', to: 'assigned', at: { gt: new Date(now.getTime() - 60_000) } },
      });
      budget = Math.max(0, Math.min(budget, strategy.maxDevicesPerMinute - recent));
    }
    if (budget > 0) {
      await switchDevices(tx, r, waiting.slice(0, budget), SYSTEM_ACTOR, effects);
    }
    if (waiting.length > budget) return { progressed: false };
    const bakeS = strategy.kind === 'canary' ? strategy.bakeTimeS : 0;
    const bakeUntil = new Date(now.getTime() + bakeS * 1000);
    await tx.rolloutWave.update({
      where: { rolloutId_index: { rolloutId: r.id, index: wave.index } },
      data: { phase: 'baking', switchedAt: now, bakeUntil },
    });
    await recordEvent(tx, r.id, {
      kind: 'wave.switched',
      actor: SYSTEM_ACTOR,
      from: 'switching',
      to: 'baking',
      data: { wave: wave.index, bakeUntil: bakeUntil.toISOString() },
    });
    changed(effects, r, 'wave.switched', null, now);
    return { progressed: true };
  }

  private async bake(tx: Tx, r: LockedRollout, wave: WaveRow, gates: RolloutGates, effects: RolloutEffects, now: Date): Promise<Step> {
    await recordDeviceEvents(tx, r.id, SYSTEM_ACTOR, await refreshRunning(tx, this.waveRef(r, wave)));
    if (await this.failFast(tx, r, wave, gates, effects, now)) return { progressed: false };
    if (wave.bakeUntil && now < wave.bakeUntil) return { progressed: false };
    const stats = await waveStats(tx, this.waveRef(r, wave));
    const verdict = judgeWave(gates, stats, now, this.label(r));
    const settled = await this.settle(tx, r, wave, gates, verdict, effects, now, { from: 'baking', to: 'passed' });
    if (settled) return settled;
    await recordEvent(tx, r.id, {
      kind: 'wave.passed',
      actor: SYSTEM_ACTOR,
      from: 'baking',
      to: 'passed',
      reason: summary(verdict),
      data: { wave: wave.index },
    });
    return this.nextWave(tx, r, { ...wave, phase: 'passed' }, effects);
  }

  /** After a passed wave: the next one, or the rollout is completed. */
  private async nextWave(tx: Tx, r: LockedRollout, wave: WaveRow, effects: RolloutEffects): Promise<Step> {
    const total = this.waveCount(r);
    if (wave.index + 1 >= total) {
      const reason = null;
      const row = await tx.rollout.update({ where: { id: r.id }, data: { status: 'completed', finishedAt: new Date(), reason } });
      await recordEvent(tx, r.id, { kind: 'completed', actor: SYSTEM_ACTOR, from: 'running', to: 'completed', data: { waves: total } });
      changed(effects, row, 'completed', null);
      return { progressed: false };
    }
    const row = await tx.rollout.update({ where: { id: r.id }, data: { currentWave: wave.index + 1 } });
    changed(effects, row, 'wave.passed', null);
    return { progressed: true };
  }

  private async inconclusive(
    tx: Tx,
    r: LockedRollout,
    wave: WaveRow,
    gates: RolloutGates,
    verdict: WaveVerdict,
    effects: RolloutEffects,
    now: Date,
  ): Promise<Step> {
    const since = wave.inconclusiveSince ?? now;
    const previous = wave.verdict as unknown as WaveVerdict | null;
    await tx.rolloutWave.update({
      where: { rolloutId_index: { rolloutId: r.id, index: wave.index } },
      data: { inconclusiveSince: since, verdict: verdict as unknown as Prisma.InputJsonValue },
    });
    if (!wave.inconclusiveSince || previous?.verdict !== 'inconclusive') {
      await recordEvent(tx, r.id, {
        kind: 'wave.verdict',
        actor: SYSTEM_ACTOR,
        from: wave.phase,
        to: wave.phase,
        reason: summary(verdict),
        data: { wave: wave.index, verdict },
      });
    }
    if (now.getTime() - since.getTime() < gates.inconclusiveTimeoutS * 1000) return { progressed: false };
    const reason = `${this.waveName(r, wave.index)} inconclusive for ${gates.inconclusiveTimeoutS} s: ${summary(verdict)}`;
    const row = await tx.rollout.update({ where: { id: r.id }, data: { status: 'paused', reason } });
    await recordEvent(tx, r.id, {
      kind: 'paused',
      actor: SYSTEM_ACTOR,
      from: 'running',
      to: 'paused',
      reason,
      data: { wave: wave.index, verdict },
    });
    changed(effects, row, 'paused', reason, now);
    this.deps.logger.info({ rolloutId: r.id, wave: wave.index, reason }, 'rollout paused: gates inconclusive');
    return { progressed: false };
  }

  /** A gate failed: the wave fails and the rollout is rolled back at once (later waves never get the candidate). */
  private async failWave(tx: Tx, r: LockedRollout, wave: WaveRow, verdict: WaveVerdict, effects: RolloutEffects) {
    const failed = verdict.gates.filter((g) => g.verdict === 'fail');
    const reason = `${this.waveName(r, wave.index)}: ${failed.map((g) => `${g.gate} gate failed: ${g.reason}`).join('; ')}`;
    await tx.rolloutWave.update({
      where: { rolloutId_index: { rolloutId: r.id, index: wave.index } },
      data: { phase: 'failed', verdict: verdict as unknown as Prisma.InputJsonValue },
    });
    await recordEvent(tx, r.id, {
      kind: 'wave.failed',
      actor: SYSTEM_ACTOR,
      from: wave.phase,
      to: 'failed',
      reason,
      data: { wave: wave.index, verdict },
    });
    // Shadows end and switched devices return to their previous version, in this transaction.
    await rollBack(tx, r, SYSTEM_ACTOR, reason, effects, { wave: wave.index, gates: failed.map((g) => g.gate) });
    this.deps.logger.warn({ rolloutId: r.id, wave: wave.index, reason }, 'rollout rolled back: gate failed');
  }
}

const summary = (v: WaveVerdict) =>
  v.gates
    .filter((g: GateResult) => g.verdict !== 'pass' || v.verdict === 'pass')
    .map((g) => `${g.gate}: ${g.reason}`)
    .join('; ');
