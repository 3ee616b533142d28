import path from 'node:path';
import { z } from 'zod';

/**
 * Environment variables every server process (API, worker) reads the same way. Each app extends the
 * schema with its own variables and parses once at boot; nothing else reads `process.env`.
 */
export const PlatformEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .default('postgresql://root@127.0.0.1:5432/edgefleet'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STORAGE: z.enum(['local', 's3']).default('local'),
  S3_BUCKET: z.string().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ENDPOINT: z.string().url().optional(),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** PEM (PKCS#8) of the ed25519 artifact-signing key; generated into DATA_DIR/keys when unset. Sensitive. */
  ARTIFACT_SIGNING_KEY: z.string().optional(),
});
type PlatformEnv = z.infer<typeof PlatformEnvSchema>;

export type StorageConfig =
  | { kind: 'local'; root: string }
  | { kind: 's3'; bucket: string; region: string; endpoint?: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: boolean };

export interface PlatformConfig {
  env: PlatformEnv['NODE_ENV'];
  databaseUrl: string;
  redisUrl: string;
  dataDir: string;
  logLevel: PlatformEnv['LOG_LEVEL'];
  storage: StorageConfig;
  signing: { pem?: string; file: string };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Requirements that depend on other variables; checked on the raw env so they are reported with the rest. */
function conditionalProblems(env: Record<string, string | undefined>): string[] {
  if (env.STORAGE !== 's3') return [];
  return ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'].filter((key) => !env[key]).map((key) => `${key}: required when STORAGE=s3`);
}

/** Parses `schema` (the platform schema, possibly extended); throws a `ConfigError` listing every bad variable. */
export function parseEnv<T extends z.ZodObject>(schema: T, env: Record<string, string | undefined>): z.infer<T> {
  const parsed = schema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`)),
    ...conditionalProblems(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}

export function toPlatformConfig(e: PlatformEnv): PlatformConfig {
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir,
    logLevel: e.LOG_LEVEL,
    storage:
      e.STORAGE === 's3'
        ? {
            kind: 's3',
            bucket: e.S3_BUCKET!,
            region: e.S3_REGION,
            endpoint: e.S3_ENDPOINT,
            accessKeyId: e.S3_ACCESS_KEY_ID!,
            secretAccessKey: e.S3_SECRET_ACCESS_KEY!,
            forcePathStyle: e.S3_FORCE_PATH_STYLE,
          }
        : { kind: 'local', root: path.join(dataDir, 'artifacts') },
    signing: { pem: e.ARTIFACT_SIGNING_KEY, file: path.join(dataDir, 'keys', 'artifact-signing.pem') },
  };
}
