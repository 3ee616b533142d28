import type { RolloutChangedEvent } from './rollouts.js';
import { z } from 'zod';
import { ArtifactDto, IsoDate } from './common.js';

/**
 * Queue and job names. WARNING: once deployed, the values must never change — jobs already in Redis
 * carry them. Keys may be renamed freely.
 */
export const QueueName = {
  Pipelines: 'edgefleet-pipelines',
  Compress: 'edgefleet-compress',
  /** The rollout controller's repeatable tick. */
  Rollouts: 'edgefleet-rollouts',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  /** Parent of a flow: runs after every profile child has finished, and settles the run. */
  FinalizePipeline: 'pipeline.finalize',
  /** One child per profile: compress, evaluate, sign and store the variants. */
  CompressProfile: 'pipeline.compress-profile',
  /** Repeatable: advances every active rollout one step (gates, waves, rollbacks). */
  RolloutTick: 'rollout.tick',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Redis pub/sub channel on which workers publish events the API relays to sockets. */
export const EVENTS_CHANNEL = 'edgefleet:events';

/** Payloads are ids only; everything else is read from the database by the handler. */
export interface CompressProfileJobData {
  v: 1;
  runId: string;
  pipelineJobId: string;
}
export interface FinalizePipelineJobData {
  v: 1;
  runId: string;
}

export const PipelineStep = z.enum(['queued', 'download', 'optimize', 'calibrate', 'quantize', 'evaluate', 'store', 'done']);
export type PipelineStep = z.infer<typeof PipelineStep>;

export const RecipeStepSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('optimize'), level: z.enum(['basic', 'extended']) }).strict(),
  z.object({ name: z.literal('fp16'), keepFloat32Ops: z.array(z.string()).optional() }).strict(),
  z.object({ name: z.literal('int8-dynamic') }).strict(),
  z
    .object({
      name: z.literal('int8-static'),
      method: z.enum(['minmax', 'percentile', 'entropy']).optional(),
      percentile: z.number().gt(50).max(100).optional(),
      auto: z.boolean().optional(),
      exclude: z.array(z.string()).optional(),
    })
    .strict(),
  z.object({ name: z.literal('prune-channels'), ratio: z.number().gt(0).lt(1), norm: z.enum(['l1', 'l2']).optional() }).strict(),
  z.object({ name: z.literal('prune-unstructured'), sparsity: z.number().gt(0).lt(1) }).strict(),
  /** Knowledge distillation from the original model on the version's calibration dataset (prune → distill → int8). */
  z
    .object({
      name: z.literal('distill'),
      epochs: z.number().int().min(1).max(100).optional(),
      temperature: z.number().gt(0).max(20).optional(),
      alpha: z.number().min(0).max(1).optional(),
      learningRate: z.number().gt(0).max(1).optional(),
      /** A built-in student trained from scratch instead of the recipe's current model; then it must be the first step. */
      student: z.enum(['mlp', 'cnn-small', 'dwcnn']).optional(),
      /** Width multiplier of a built-in student. */
      width: z.number().gt(0).max(8).optional(),
      optimizer: z.enum(['sgd', 'adam']).optional(),
    })
    .strict(),
]);

export const RecipeSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9][a-z0-9.-]*$/, 'lowercase letters, digits, "." and "-"'),
    precision: z.enum(['fp32', 'fp16', 'int8']),
    steps: z.array(RecipeStepSchema).min(1).max(8),
  })
  .strict();
export type RecipeDto = z.infer<typeof RecipeSchema>;

export const TriggerPipelineRequest = z
  .object({
    /** Profile slugs or ids; all of the organization's profiles when omitted. */
    profiles: z.array(z.string().min(1)).min(1).optional(),
    /** Replace the profiles' candidate recipes for this run. */
    recipes: z.array(RecipeSchema).min(1).max(10).optional(),
    requestedBy: z.string().max(200).optional(),
  })
  .strict()
  .refine((r) => !r.recipes || new Set(r.recipes.map((x) => x.id)).size === r.recipes.length, 'recipe ids must be unique');
export type TriggerPipelineRequest = z.input<typeof TriggerPipelineRequest>;

export const PipelineStatus = z.enum(['queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled']);
export const PipelineJobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

export const PipelineJobDto = z.object({
  id: z.string().uuid(),
  profile: z.object({ id: z.string().uuid(), slug: z.string() }),
  status: PipelineJobStatus,
  step: z.string().nullable(),
  progress: z.number(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  startedAt: IsoDate.nullable(),
  finishedAt: IsoDate.nullable(),
});
export type PipelineJobDto = z.infer<typeof PipelineJobDto>;

export const PipelineRunDto = z.object({
  id: z.string().uuid(),
  modelId: z.string().uuid(),
  versionId: z.string().uuid(),
  versionNumber: z.number().int(),
  status: PipelineStatus,
  trigger: z.enum(['upload', 'manual']),
  requestedBy: z.string().nullable(),
  error: z.string().nullable(),
  jobs: z.array(PipelineJobDto),
  createdAt: IsoDate,
  startedAt: IsoDate.nullable(),
  finishedAt: IsoDate.nullable(),
});
export type PipelineRunDto = z.infer<typeof PipelineRunDto>;

export const VariantDto = z.object({
  id: z.string().uuid(),
  versionId: z.string().uuid(),
  profile: z.object({ id: z.string().uuid(), slug: z.string() }),
  recipe: RecipeSchema,
  precision: z.enum(['fp32', 'fp16', 'int8']),
  artifact: ArtifactDto,
  /** compress `Evaluation` (v: 1): accuracy, fidelity, size, latency, MACs. */
  evaluation: z.record(z.string(), z.unknown()),
  verdict: z.object({ status: z.enum(['passed', 'failed']), reasons: z.array(z.string()), judgedOn: z.enum(['labels', 'agreement', 'synthetic-agreement']) }),
  onParetoFront: z.boolean(),
  recommended: z.boolean(),
  manifest: z.record(z.string(), z.unknown()),
  signature: z.string(),
  createdAt: IsoDate,
});
export type VariantDto = z.infer<typeof VariantDto>;

/** What `/events` sockets receive; rooms are `model:<modelId>`. */
export interface PipelineJobEvent {
  v: 1;
  type: 'job.queued' | 'job.started' | 'job.progress' | 'job.completed' | 'job.failed' | 'job.cancelled';
  modelId: string;
  versionId: string;
  runId: string;
  pipelineJobId: string;
  profile: string;
  step: PipelineStep | string;
  /** 0..1 */
  progress: number;
  error?: string;
  at: string;
}
export interface PipelineRunEvent {
  v: 1;
  type: 'run.started' | 'run.finished';
  modelId: string;
  versionId: string;
  runId: string;
  status: z.infer<typeof PipelineStatus>;
  at: string;
}
export interface ServerToClientEvents {
  'pipeline.job': (event: PipelineJobEvent) => void;
  'pipeline.run': (event: PipelineRunEvent) => void;
  'rollout.changed': (event: RolloutChangedEvent) => void;
}
export interface ClientToServerEvents {
  /** Join `model:<modelId>` to receive its pipeline events. */
  /** Join `model:<modelId>` (pipeline events), `rollout:<rolloutId>` or `rollouts` (every rollout's changes). */
  subscribe: (room: EventRoomRequest, ack?: (result: { ok: boolean; error?: string }) => void) => void;
  unsubscribe: (room: EventRoomRequest) => void;
}
/** What travels on EVENTS_CHANNEL from workers to the API. */
export type PlatformEvent =
  | { channel: 'pipeline.job'; room: string; event: PipelineJobEvent }
  | { channel: 'pipeline.run'; room: string; event: PipelineRunEvent }
  | { channel: 'rollout.changed'; room: string; event: RolloutChangedEvent };
export type EventRoomRequest = { modelId: string } | { rolloutId: string } | { rollouts: true };
