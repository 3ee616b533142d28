import { type PlatformConfig, PlatformEnvSchema, parseEnv, toPlatformConfig } from '@edgefleet/platform';
import { z } from 'zod';

export { ConfigError } from '@edgefleet/platform';

const MiB = 1024 * 1024;

/**
 * The API's environment: the platform's shared variables plus its own. Only this module reads
 * `process.env` (through `loadConfig(process.env)` in main); everything else receives `AppConfig`.
 */
const ApiEnvSchema = PlatformEnvSchema.extend({
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(512 * MiB),
});

export interface AppConfig extends PlatformConfig {
  http: { host: string; port: number };
  uploads: { maxBytes: number };
}

/** Parses the environment once; throws a `ConfigError` listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const e = parseEnv(ApiEnvSchema, env);
  return {
    ...toPlatformConfig(e),
    http: { host: e.HOST, port: e.PORT },
    uploads: { maxBytes: e.MAX_UPLOAD_BYTES },
  };
}
