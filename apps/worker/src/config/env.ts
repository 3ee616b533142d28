import { type PlatformConfig, PlatformEnvSchema, parseEnv, type QueueSettings, toPlatformConfig } from '@edgefleet/platform';
import { z } from 'zod';

export { ConfigError } from '@edgefleet/platform';

/**
 * The worker's environment: the platform's shared variables plus its own. Only this module reads the
 * environment (main passes `process.env` in); everything else receives `WorkerConfig`.
 */
const WorkerEnvSchema = PlatformEnvSchema.extend({
  /** Jobs one worker process runs at once, per queue. Compression is CPU-bound: keep it near the cores / threads. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Tries per profile job (the API enqueues with the same value). */
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  JOB_BACKOFF_MS: z.coerce.number().int().min(0).default(5_000),
  /** How often BullMQ looks for jobs whose worker died. */
  STALLED_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** A job's lock lifetime; renewed at half of it while the job runs. */
  LOCK_DURATION_MS: z.coerce.number().int().min(500).default(60_000),
  /** Cap on evaluation samples per variant (speed over precision). */
  EVAL_MAX_SAMPLES: z.coerce.number().int().min(1).default(2_000),
  /** How often the rollout controller advances every active rollout (one BullMQ job scheduler per deployment). */
  ROLLOUT_TICK_MS: z.coerce.number().int().min(50).max(600_000).default(2_000),
  /** BullMQ key prefix; must match the API's. */
  QUEUE_PREFIX: z.string().min(1).default('bull'),
});

export interface WorkerConfig extends PlatformConfig {
  queue: { prefix: string; settings: QueueSettings; concurrency: number; stalledIntervalMs: number; lockDurationMs: number };
  evaluation: { maxSamples: number };
  rollouts: { tickMs: number };
}

/** Parses the environment once; throws a `ConfigError` listing every bad variable. */
export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const e = parseEnv(WorkerEnvSchema, env);
  return {
    ...toPlatformConfig(e),
    queue: {
      prefix: e.QUEUE_PREFIX,
      settings: { attempts: e.JOB_ATTEMPTS, backoffMs: e.JOB_BACKOFF_MS },
      concurrency: e.WORKER_CONCURRENCY,
      stalledIntervalMs: e.STALLED_INTERVAL_MS,
      lockDurationMs: e.LOCK_DURATION_MS,
    },
    evaluation: { maxSamples: e.EVAL_MAX_SAMPLES },
    rollouts: { tickMs: e.ROLLOUT_TICK_MS },
  };
}
