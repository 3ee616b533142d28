import { z } from 'zod';
import { IsoDate, PaginationQuery } from './common.js';
import { SigningKeyDto } from './manifest.js';
import { Precision } from './profiles.js';
import { RecipeSchema } from './pipelines.js';

/** Upper bounds (ms) of the latency histogram buckets agents report; the last bucket is unbounded. */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, Number.POSITIVE_INFINITY] as const;
export const HISTOGRAM_SIZE = LATENCY_BUCKETS_MS.length;

const Name = z.string().trim().min(1).max(100);
const Group = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-"');
const Tag = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:=-]*$/, 'letters, digits and ".", "_", ":", "=", "-"');
const Tags = z
  .array(Tag)
  .max(32)
  .transform((t) => [...new Set(t)]);

// ── enrollment tokens ───────────────────────────────────────────────────────

export const CreateEnrollmentTokenRequest = z
  .object({
    name: Name,
    group: Group.default('default'),
    tags: Tags.default([]),
    /** Seconds until the token expires; never when omitted. */
    expiresInS: z.number().int().min(1).max(365 * 86_400).optional(),
    maxUses: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();
export type CreateEnrollmentTokenRequest = z.input<typeof CreateEnrollmentTokenRequest>;

export const EnrollmentTokenDto = z.object({
  id: z.string().uuid(),
  name: z.string(),
  group: z.string(),
  tags: z.array(z.string()),
  expiresAt: IsoDate.nullable(),
  maxUses: z.number().int().nullable(),
  uses: z.number().int(),
  revokedAt: IsoDate.nullable(),
  createdAt: IsoDate,
});
export type EnrollmentTokenDto = z.infer<typeof EnrollmentTokenDto>;

/** The create response: the only time the token itself (`eft_…`) is shown. */
export const CreatedEnrollmentTokenDto = EnrollmentTokenDto.extend({ token: z.string() });
export type CreatedEnrollmentTokenDto = z.infer<typeof CreatedEnrollmentTokenDto>;

// ── devices ─────────────────────────────────────────────────────────────────

/** What an agent reports about its hardware at enrollment. Persisted, hence `v`. */
export const DeviceFacts = z
  .object({
    v: z.literal(1),
    arch: z.string().min(1).max(32),
    cpuModel: z.string().max(200).default(''),
    cpuCores: z.number().int().min(1).max(4096),
    ramBytes: z.number().int().nonnegative(),
    accelerators: z
      .array(z.object({ kind: z.enum(['gpu', 'npu', 'tpu', 'dsp', 'other']), name: z.string().max(200), memoryBytes: z.number().int().nonnegative().optional() }).strict())
      .max(16)
      .default([]),
    os: z.string().max(200),
    onnxruntimeVersion: z.string().max(64),
    agentVersion: z.string().max(64),
  })
  .strict();
export type DeviceFacts = z.infer<typeof DeviceFacts>;

/** What a device says it runs. Persisted, hence `v`. */
export const RunningState = z
  .object({ v: z.literal(1), versionId: z.string().uuid(), variantId: z.string().uuid(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();
export type RunningState = z.infer<typeof RunningState>;

export const DeviceHealth = z.enum(['ok', 'degraded', 'failing']);
export type DeviceHealth = z.infer<typeof DeviceHealth>;
/** The last error an agent reported (a failed install, a refused manifest, a revoked credential). */
export const DeviceError = z
  .object({
    code: z.string().min(1).max(100),
    message: z.string().max(1000),
    /** The version the failure concerns (a refused, unloadable or unhealthy candidate); rollouts gate on it. */
    versionId: z.string().uuid().optional(),
  })
  .strict();
export type DeviceError = z.infer<typeof DeviceError>;
export const DeviceStatus = z.enum(['online', 'offline', 'revoked']);
export type DeviceStatus = z.infer<typeof DeviceStatus>;

/** A device's figures over the last hour, shown in the fleet table; null when it sent no telemetry in that hour. */
export const DeviceStatsDto = z.object({
  window: z.literal('1h'),
  requests: z.number().int(),
  errorRate: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
export type DeviceStatsDto = z.infer<typeof DeviceStatsDto>;

export const DeviceDto = z.object({
  id: z.string().uuid(),
  name: z.string(),
  group: z.string(),
  tags: z.array(z.string()),
  profile: z.object({ id: z.string().uuid(), slug: z.string() }).nullable(),
  facts: DeviceFacts,
  status: DeviceStatus,
  health: DeviceHealth.nullable(),
  running: RunningState.nullable(),
  /** The error reported with the last degraded/failing heartbeat and when it was received; null once healthy. */
  lastError: DeviceError.extend({ at: IsoDate }).nullable(),
  assignment: z
    .object({ modelId: z.string().uuid(), versionId: z.string().uuid(), versionNumber: z.number().int(), source: z.enum(['manual', 'rollout']), assignedBy: z.string().nullable() })
    .nullable(),
  lastSeenAt: IsoDate.nullable(),
  revokedAt: IsoDate.nullable(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  /** Last-hour telemetry figures; present in device lists (computed for the listed page), absent elsewhere. */
  stats: DeviceStatsDto.nullable().optional(),
});
export type DeviceDto = z.infer<typeof DeviceDto>;

export const ListDevicesQuery = PaginationQuery.extend({
  group: z.string().optional(),
  tag: z.string().optional(),
  status: DeviceStatus.optional(),
  /** Profile slug or id. */
  profile: z.string().optional(),
}).strict();
export type ListDevicesQuery = z.infer<typeof ListDevicesQuery>;

export const UpdateDeviceRequest = z
  .object({
    name: Name,
    group: Group,
    tags: Tags,
    /** Profile slug or id; null clears it. */
    profile: z.string().min(1).nullable(),
  })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'at least one field to change');
export type UpdateDeviceRequest = z.input<typeof UpdateDeviceRequest>;

// ── history ─────────────────────────────────────────────────────────────────

/**
 * What the platform records about one device (device_events.kind). The heartbeat kinds are written only on a change,
 * so a steady heartbeat adds nothing.
 */
export const DeviceEventKind = z.enum([
  'enrolled',
  'updated',
  'assigned',
  'unassigned',
  'revoked',
  /** The version the device reports running changed (installed, fell back, stopped). */
  'running.changed',
  /** Health went degraded/failing, or the reported error changed while it was. */
  'error.reported',
  /** Health is back to ok. */
  'recovered',
]);
export type DeviceEventKind = z.infer<typeof DeviceEventKind>;

const HistoryVersion = z.object({ id: z.string().uuid(), number: z.number().int(), modelId: z.string().uuid(), modelName: z.string() });
export type HistoryVersion = z.infer<typeof HistoryVersion>;

const HistoryBase = z.object({
  /** `d<n>` (device_events) or `r<n>` (rollout_events): unique across both sources. */
  id: z.string(),
  at: IsoDate,
  /** A user's email, an API key's name, `device` or `system`. */
  actor: z.string().nullable(),
  /** The version concerned; null when none, or when the id names no version of the organization. */
  version: HistoryVersion.nullable(),
  message: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
});

export const DeviceHistoryItem = z.discriminatedUnion('source', [
  HistoryBase.extend({
    source: z.literal('device'),
    kind: DeviceEventKind,
    /** What it replaced: the previous assignment or running version. */
    fromVersion: HistoryVersion.nullable(),
  }),
  HistoryBase.extend({
    source: z.literal('rollout'),
    /** contracts RolloutEventKind; `device` for a transition of this device. */
    kind: z.string(),
    rolloutId: z.string().uuid(),
    /** Rollout device states (contracts RolloutDeviceState) of a `device` transition. */
    from: z.string().nullable(),
    to: z.string().nullable(),
  }),
]);
export type DeviceHistoryItem = z.infer<typeof DeviceHistoryItem>;

export const DeviceHistoryQuery = PaginationQuery.strict();

// ── assignments ─────────────────────────────────────────────────────────────

/** `version` is a number, a semver label or `latest`. */
const VersionRef = z.union([z.number().int().min(1).transform(String), z.string().min(1).max(64)]);

export const AssignDeviceRequest = z
  .object({ modelId: z.string().uuid(), version: VersionRef, assignedBy: z.string().trim().min(1).max(200).optional() })
  .strict();
export type AssignDeviceRequest = z.input<typeof AssignDeviceRequest>;

export const AssignmentTarget = z
  .object({
    deviceIds: z.array(z.string().uuid()).min(1).max(10_000).optional(),
    group: z.string().min(1).optional(),
    /** Devices carrying every one of these tags. */
    tags: z.array(z.string().min(1)).min(1).max(32).optional(),
  })
  .strict()
  .refine((t) => t.deviceIds !== undefined || t.group !== undefined || t.tags !== undefined, 'name deviceIds, group or tags');

export const BulkAssignRequest = AssignDeviceRequest.extend({ target: AssignmentTarget }).strict();
export type BulkAssignRequest = z.input<typeof BulkAssignRequest>;

export const BulkAssignResult = z.object({ assigned: z.number().int(), versionId: z.string().uuid() });
export type BulkAssignResult = z.infer<typeof BulkAssignResult>;

// ── the device API (agent ↔ platform; every body carries or implies `v: 1`) ──

export const EnrollRequest = z.object({ token: z.string().min(1).max(200), name: Name.optional(), facts: DeviceFacts }).strict();
export type EnrollRequest = z.input<typeof EnrollRequest>;

export const EnrollResponse = z.object({
  v: z.literal(1),
  deviceId: z.string().uuid(),
  /** `eds_…`, shown once; the agent authenticates with `Authorization: Bearer <deviceId>.<secret>`. */
  secret: z.string(),
  platformKey: SigningKeyDto,
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;

export const DesiredAssignment = z.object({
  model: z.object({ id: z.string().uuid(), name: z.string() }),
  version: z.object({ id: z.string().uuid(), number: z.number().int() }),
  variant: z.object({ id: z.string().uuid(), recipe: RecipeSchema, precision: Precision, profile: z.string() }),
  /** contracts VariantManifest; verify `signature` with the pinned platform key. */
  manifest: z.record(z.string(), z.unknown()),
  signature: z.string(),
  artifactUrl: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
});
export type DesiredAssignment = z.infer<typeof DesiredAssignment>;

/**
 * What a device should run. `assignment` is null when nothing is assigned, or when the assigned version
 * has no recommended variant for the device's profile (yet).
 */
export const DesiredShadow = DesiredAssignment.extend({
  rolloutId: z.string().uuid(),
  /** Share of live requests to run on the candidate too (0..1). */
  sampleRate: z.number().min(0).max(1),
});
export type DesiredShadow = z.infer<typeof DesiredShadow>;

/**
 * `shadow`, when set, is a candidate a rollout wants evaluated beside the current model: the agent keeps serving
 * `assignment`, runs the candidate on `sampleRate` of live requests and reports agreement (POST /api/device/shadow).
 */
export const DesiredState = z.object({ v: z.literal(1), etag: z.string(), assignment: DesiredAssignment.nullable(), shadow: DesiredShadow.nullable().default(null) });
export type DesiredState = z.infer<typeof DesiredState>;

export const DesiredQuery = z.object({ wait: z.coerce.number().int().min(0).max(60).default(0) }).strict();

export const HeartbeatRequest = z
  .object({
    v: z.literal(1).default(1),
    running: RunningState.nullable().optional(),
    health: DeviceHealth,
    counters: z.record(z.string().max(64), z.number()).optional(),
    /** What is wrong when `health` is not `ok`; null clears it, omitted leaves it as it was. */
    error: DeviceError.nullable().optional(),
  })
  .strict();
export type HeartbeatRequest = z.input<typeof HeartbeatRequest>;
export const HeartbeatResponse = z.object({ v: z.literal(1), desiredEtag: z.string() });
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

const MINUTE_MS = 60_000;
export const TelemetryBatch = z
  .object({
    v: z.literal(1).default(1),
    buckets: z
      .array(
        z
          .object({
            versionId: z.string().uuid(),
            /** Start of the minute, ISO-8601 (seconds and milliseconds zero). */
            bucketStart: z.iso.datetime({ offset: true }).refine((s) => Date.parse(s) % MINUTE_MS === 0, 'must be the start of a minute'),
            count: z.number().int().min(0).max(10_000_000),
            errors: z.number().int().min(0).max(10_000_000),
            histogram: z.array(z.number().int().min(0).max(10_000_000)).length(HISTOGRAM_SIZE),
          })
          .strict()
          .refine((b) => b.errors <= b.count, 'errors must not exceed count'),
      )
      .min(1)
      .max(1000),
  })
  .strict();
export type TelemetryBatch = z.input<typeof TelemetryBatch>;

export const FeedbackBatch = z
  .object({
    v: z.literal(1).default(1),
    items: z
      .array(
        z
          .object({
            versionId: z.string().uuid(),
            predictionId: z.string().min(1).max(200),
            predicted: z.number().int(),
            label: z.number().int(),
            at: z.iso.datetime({ offset: true }).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();
export type FeedbackBatch = z.input<typeof FeedbackBatch>;

export const AcceptedDto = z.object({ accepted: z.number().int() });

// ── telemetry queries ───────────────────────────────────────────────────────

const Duration = z.string().regex(/^\d+[smhd]$/, 'a duration such as 90s, 5m, 1h or 7d');
export const TelemetryQuery = z.object({ window: Duration.default('1h'), bucket: Duration.default('5m') }).strict();

export const TelemetryPointDto = z.object({
  start: IsoDate,
  count: z.number().int(),
  errors: z.number().int(),
  errorRate: z.number().nullable(),
  /** Upper bound of the histogram bucket holding the percentile; null when no samples or in the unbounded bucket. */
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  labelled: z.number().int(),
  accuracy: z.number().nullable(),
});
export type TelemetryPointDto = z.infer<typeof TelemetryPointDto>;

export const VersionTelemetryDto = z.object({
  modelId: z.string().uuid(),
  versionId: z.string().uuid(),
  from: IsoDate,
  to: IsoDate,
  bucketS: z.number().int(),
  points: z.array(TelemetryPointDto),
  totals: TelemetryPointDto.omit({ start: true }),
});
export type VersionTelemetryDto = z.infer<typeof VersionTelemetryDto>;

export const DeviceTelemetryQuery = TelemetryQuery.extend({ versionId: z.string().uuid().optional() }).strict();

/** One device's telemetry across the versions it ran (or only `versionId`), same points as a version's. */
export const DeviceTelemetryDto = z.object({
  deviceId: z.string().uuid(),
  versionId: z.string().uuid().nullable(),
  from: IsoDate,
  to: IsoDate,
  bucketS: z.number().int(),
  points: z.array(TelemetryPointDto),
  totals: TelemetryPointDto.omit({ start: true }),
});
export type DeviceTelemetryDto = z.infer<typeof DeviceTelemetryDto>;

// ── realtime: the `/devices` namespace ──────────────────────────────────────

/** Devices connect to `/devices` with `auth: { token: '<deviceId>.<secret>' }` and join `device:<id>`. */
export interface DesiredChangedEvent {
  v: 1;
  etag: string;
}
export interface DeviceServerToClientEvents {
  'desired.changed': (event: DesiredChangedEvent) => void;
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DeviceClientToServerEvents {}

/** Redis pub/sub channel on which API instances announce desired-state changes: a JSON array of device ids. */
export const DESIRED_CHANNEL = 'edgefleet:desired';
