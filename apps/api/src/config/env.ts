import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PlatformConfig, PlatformEnvSchema, parseEnv, type QueueSettings, toPlatformConfig } from '@edgefleet/platform';
import { z } from 'zod';

export { ConfigError } from '@edgefleet/platform';

const MiB = 1024 * 1024;

/**
 * The API's environment: the platform's shared variables plus its own. Only this module reads
 * `process.env` (through `loadConfig(process.env)` in main); everything else receives `AppConfig`.
 */
const ApiEnvSchema = PlatformEnvSchema.extend({
  /** Built dashboard (index.html + assets) served on the API's origin; absent folder = API only. */
  DASHBOARD_DIR: z.string().optional(),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(512 * MiB),
  /** Start a pipeline for every profile after each successful version upload. */
  AUTO_PIPELINES: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** BullMQ key prefix; the worker must use the same one. Tests use a unique prefix per file. */
  QUEUE_PREFIX: z.string().min(1).default('bull'),
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  JOB_BACKOFF_MS: z.coerce.number().int().min(0).default(5_000),
  /** A device is shown offline when its last heartbeat is older than this. */
  DEVICE_OFFLINE_AFTER_S: z.coerce.number().int().min(1).max(86_400).default(90),
});

export interface AppConfig extends PlatformConfig {
  http: { host: string; port: number };
  uploads: { maxBytes: number };
  pipelines: { auto: boolean };
  dashboardDir: string;
  queue: { prefix: string; settings: QueueSettings };
  devices: { offlineAfterS: number };
}

/** Parses the environment once; throws a `ConfigError` listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const e = parseEnv(ApiEnvSchema, env);
  return {
    ...toPlatformConfig(e),
    http: { host: e.HOST, port: e.PORT },
    uploads: { maxBytes: e.MAX_UPLOAD_BYTES },
    pipelines: { auto: e.AUTO_PIPELINES },
    // apps/api/{src,dist}/config → apps/dashboard/dist
    dashboardDir: e.DASHBOARD_DIR ? path.resolve(e.DASHBOARD_DIR) : fileURLToPath(new URL('../../../dashboard/dist', import.meta.url)),
    queue: { prefix: e.QUEUE_PREFIX, settings: { attempts: e.JOB_ATTEMPTS, backoffMs: e.JOB_BACKOFF_MS } },
    devices: { offlineAfterS: e.DEVICE_OFFLINE_AFTER_S },
  };
}
