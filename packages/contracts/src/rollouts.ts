import { z } from 'zod';
import { IsoDate, PaginationQuery } from './common.js';

/**
 * Rollouts ship a model version to a target set of devices, wave by wave, judging each wave by gates before
 * widening. Each device runs the variant of its own profile; devices whose profile has no recommended variant
 * are skipped (and listed with the reason). At most one active rollout per device: a new rollout that would
 * touch a device of an active one is refused with 409 `rollout/conflict`, unless it asks to `supersede`, in
 * which case the older rollouts are marked `superseded` (their devices keep what they run) and the new one
 * takes over.
 */

/** Who gets the version: the whole fleet (`{}` or `{ all: true }`), a group, devices carrying all tags, or ids. */
export const RolloutTarget = z
  .object({
    all: z.literal(true).optional(),
    group: z.string().min(1).max(64).optional(),
    tags: z.array(z.string().min(1).max(64)).min(1).max(32).optional(),
    deviceIds: z.array(z.string().uuid()).min(1).max(100_000).optional(),
  })
  .strict()
  .refine((t) => t.all === true || t.group !== undefined || t.tags !== undefined || t.deviceIds !== undefined, 'name all, group, tags or deviceIds');
export type RolloutTarget = z.infer<typeof RolloutTarget>;

const Percent = z.number().min(0.1).max(100);

export const RolloutStrategy = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all-at-once') }).strict(),
  z
    .object({
      kind: z.literal('canary'),
      /** Cumulative share of the target per wave, increasing, the last 100: `[5, 25, 100]`. */
      waves: z
        .array(Percent)
        .min(1)
        .max(10)
        .refine((w) => w.every((p, i) => i === 0 || p > w[i - 1]!), 'waves must increase')
        .refine((w) => w[w.length - 1] === 100, 'the last wave must be 100'),
      /** Seconds a wave runs on the new version before its gates may promote it. */
      bakeTimeS: z.number().int().min(0).max(7 * 86_400).default(600),
      /** Devices switched per minute at most (all waves together); unlimited when omitted. */
      maxDevicesPerMinute: z.number().int().min(1).max(1_000_000).optional(),
    })
    .strict(),
]);
export type RolloutStrategy = z.infer<typeof RolloutStrategy>;
export type RolloutStrategyInput = z.input<typeof RolloutStrategy>;

/**
 * Gates judge a wave's devices on the new version against the version each replaced. A gate set to null is off.
 * A gate with too little data (`min…`) is `inconclusive`: the wave waits, up to `inconclusiveTimeoutS`, then the
 * rollout pauses for an operator.
 */
export const RolloutGates = z
  .object({
    /** Error rate may rise by at most `maxIncrease` (absolute, 0.02 = two points) over the replaced version's. */
    errorRate: z.object({ maxIncrease: z.number().min(0).max(1).default(0.02), minRequests: z.number().int().min(1).default(50) }).strict().nullable().default({ maxIncrease: 0.02, minRequests: 50 }),
    /** p95 latency may be at most `maxRatio` × the replaced version's. */
    latencyP95: z.object({ maxRatio: z.number().min(1).max(100).default(1.5), minRequests: z.number().int().min(1).default(50) }).strict().nullable().default({ maxRatio: 1.5, minRequests: 50 }),
    /** Accuracy from feedback labels may drop by at most `maxDrop` (absolute, 0.05 = five points). */
    accuracy: z.object({ maxDrop: z.number().min(0).max(1).default(0.05), minLabelled: z.number().int().min(1).default(30) }).strict().nullable().default(null),
    /** Devices of the wave that failed to verify, load or health-check (probe) the new version. */
    health: z.object({ maxFailures: z.number().int().min(0).default(0) }).strict().default({ maxFailures: 0 }),
    /**
     * Shadow evaluation before a wave switches: the wave's devices run the candidate beside the current model on
     * `sampleRate` of live requests and report agreement; the wave switches only with `minAgreement` (top-1).
     */
    shadow: z
      .object({
        sampleRate: z.number().min(0.001).max(1).default(0.25),
        minSamples: z.number().int().min(1).default(50),
        minAgreement: z.number().min(0).max(1).default(0.9),
      })
      .strict()
      .nullable()
      .default(null),
    /** How long a wave may stay inconclusive before the rollout pauses for an operator. */
    inconclusiveTimeoutS: z.number().int().min(1).max(7 * 86_400).default(1800),
  })
  .strict();
export type RolloutGates = z.infer<typeof RolloutGates>;
export type RolloutGatesInput = z.input<typeof RolloutGates>;

export const CreateRolloutRequest = z
  .object({
    modelId: z.string().uuid(),
    /** Version number, semver label or `latest`. */
    version: z.union([z.number().int().min(1).transform(String), z.string().min(1).max(64)]),
    target: RolloutTarget,
    strategy: RolloutStrategy.default({ kind: 'all-at-once' }),
    gates: RolloutGates.default(RolloutGates.parse({})),
    /** Take over devices of active rollouts (which become `superseded`) instead of a 409. */
    supersede: z.boolean().default(false),
    createdBy: z.string().trim().min(1).max(200).optional(),
    note: z.string().max(1000).optional(),
  })
  .strict();
export type CreateRolloutRequest = z.input<typeof CreateRolloutRequest>;

export const RolloutStatus = z.enum(['running', 'paused', 'completed', 'rolling_back', 'rolled_back', 'superseded']);
export type RolloutStatus = z.infer<typeof RolloutStatus>;
export const ACTIVE_ROLLOUT_STATUSES: readonly RolloutStatus[] = ['running', 'paused', 'rolling_back'];

/** pending → (shadow →) switching → baking → passed; or failed. */
export const WavePhase = z.enum(['pending', 'shadow', 'switching', 'baking', 'passed', 'failed']);
export type WavePhase = z.infer<typeof WavePhase>;

export const GateName = z.enum(['errorRate', 'latencyP95', 'accuracy', 'health', 'shadow']);
export type GateName = z.infer<typeof GateName>;

export const GateResult = z.object({
  gate: GateName,
  verdict: z.enum(['pass', 'fail', 'inconclusive']),
  /** The wave's figure on the new version (error rate, p95 ms, accuracy, failures, agreement). */
  observed: z.number().nullable(),
  /** The replaced version's figure, where the gate compares. */
  baseline: z.number().nullable(),
  /** The limit `observed` was held to. */
  threshold: z.number().nullable(),
  /** Requests, labels, devices or shadow samples behind `observed`. */
  samples: z.number().int(),
  reason: z.string(),
});
export type GateResult = z.infer<typeof GateResult>;

export const WaveVerdict = z.object({ verdict: z.enum(['pass', 'fail', 'inconclusive']), gates: z.array(GateResult), at: IsoDate });
export type WaveVerdict = z.infer<typeof WaveVerdict>;

export const RolloutWaveDto = z.object({
  index: z.number().int(),
  /** Cumulative share of the target. */
  percent: z.number(),
  devices: z.number().int(),
  phase: WavePhase,
  startedAt: IsoDate.nullable(),
  switchedAt: IsoDate.nullable(),
  bakeUntil: IsoDate.nullable(),
  verdict: WaveVerdict.nullable(),
});
export type RolloutWaveDto = z.infer<typeof RolloutWaveDto>;

export const RolloutDeviceState = z.enum(['pending', 'shadow', 'assigned', 'running', 'failed', 'rolled_back', 'skipped']);
export type RolloutDeviceState = z.infer<typeof RolloutDeviceState>;

export const RolloutDto = z.object({
  id: z.string().uuid(),
  model: z.object({ id: z.string().uuid(), name: z.string() }),
  version: z.object({ id: z.string().uuid(), number: z.number().int(), semver: z.string().nullable() }),
  target: RolloutTarget,
  strategy: RolloutStrategy,
  gates: RolloutGates,
  status: RolloutStatus,
  /** Index of the wave in progress (the last one once finished). */
  currentWave: z.number().int(),
  waves: z.array(RolloutWaveDto),
  counts: z.record(RolloutDeviceState, z.number().int()),
  /** Why it paused, rolled back or was superseded. */
  reason: z.string().nullable(),
  note: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  finishedAt: IsoDate.nullable(),
});
export type RolloutDto = z.infer<typeof RolloutDto>;

export const RolloutDeviceDto = z.object({
  deviceId: z.string().uuid(),
  name: z.string(),
  profile: z.string().nullable(),
  wave: z.number().int().nullable(),
  state: RolloutDeviceState,
  /** The version the device ran (was assigned) before; where a rollback returns it. */
  previousVersion: z.object({ id: z.string().uuid(), number: z.number().int() }).nullable(),
  skipReason: z.string().nullable(),
  updatedAt: IsoDate,
});
export type RolloutDeviceDto = z.infer<typeof RolloutDeviceDto>;

export const RolloutEventKind = z.enum([
  'created',
  'wave.started',
  'wave.shadow',
  'wave.switched',
  'wave.verdict',
  'wave.passed',
  'wave.failed',
  'paused',
  'resumed',
  'completed',
  'rollback.started',
  'rolled_back',
  'superseded',
  'device',
]);
export type RolloutEventKind = z.infer<typeof RolloutEventKind>;

export const RolloutEventDto = z.object({
  id: z.string(),
  at: IsoDate,
  /** `system` (the controller) or who asked. */
  actor: z.string(),
  kind: RolloutEventKind,
  deviceId: z.string().uuid().nullable(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  reason: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
});
export type RolloutEventDto = z.infer<typeof RolloutEventDto>;

export const ListRolloutsQuery = PaginationQuery.extend({ status: RolloutStatus.optional(), modelId: z.string().uuid().optional() }).strict();
export const ListRolloutDevicesQuery = PaginationQuery.extend({ state: RolloutDeviceState.optional(), wave: z.coerce.number().int().min(0).optional() }).strict();
export const ListRolloutEventsQuery = PaginationQuery.extend({
  /** Only events after this id (for incremental polling). */
  after: z.string().regex(/^\d+$/).optional(),
  deviceId: z.string().uuid().optional(),
  kind: RolloutEventKind.optional(),
}).strict();

/** Pause, resume, abort (= roll back now) and rollback (of a completed one) all take who and why. */
export const RolloutActionRequest = z.object({ actor: z.string().trim().min(1).max(200).optional(), reason: z.string().trim().min(1).max(1000).optional() }).strict();
export type RolloutActionRequest = z.input<typeof RolloutActionRequest>;

// ── shadow evaluation (agent → platform) ────────────────────────────────────

/** A device's shadow comparison of a candidate against the model it serves, for one minute. */
export const ShadowBatch = z
  .object({
    v: z.literal(1).default(1),
    items: z
      .array(
        z
          .object({
            candidateVersionId: z.string().uuid(),
            baseVersionId: z.string().uuid(),
            bucketStart: z.iso.datetime({ offset: true }),
            /** Live requests run on both. */
            samples: z.number().int().min(0).max(10_000_000),
            /** Of those, with the same top-1 class on every output. */
            top1Agree: z.number().int().min(0).max(10_000_000),
            /** Sum over samples of the cosine similarity of the outputs. */
            cosineSum: z.number(),
            /** Candidate runs that threw or gave non-finite outputs. */
            candidateErrors: z.number().int().min(0).max(10_000_000),
            /** Candidate latency, counts over contracts LATENCY_BUCKETS_MS. */
            candidateHistogram: z.array(z.number().int().min(0)).length(11),
          })
          .strict()
          .refine((b) => b.top1Agree <= b.samples, 'top1Agree must not exceed samples'),
      )
      .min(1)
      .max(1000),
  })
  .strict();
export type ShadowBatch = z.input<typeof ShadowBatch>;

// ── realtime: `/events` rooms `rollouts` (every rollout) and `rollout:<id>` ──

export interface RolloutChangedEvent {
  v: 1;
  rolloutId: string;
  status: RolloutStatus;
  currentWave: number;
  kind: RolloutEventKind;
  reason: string | null;
  at: string;
}
