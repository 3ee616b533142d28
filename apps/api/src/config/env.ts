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
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(512 * MiB),
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
  /**
   * Deny anonymous requests (the default). `false` treats a request without credentials as the default
   * organisation's admin — the behaviour before accounts existed; for local development only. Credentials that are
   * given are checked either way.
   */
  AUTH_REQUIRED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Dashboard session lifetime (sliding: extended on use, up to this long after the last request). */
  SESSION_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(90 * 86_400)
    .default(12 * 3600),
  /** Mark the session cookie `Secure` and send HSTS; turn on whenever the API is served over HTTPS. */
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Comma-separated origins allowed by CORS (with credentials); empty = same origin only. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url())),
  /** First admin, created at start-up only while no user exists at all. Sensitive (the password). */
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(12).optional(),
  /** `GET /metrics` also accepts `Authorization: Bearer <METRICS_TOKEN>` (for Prometheus); admins may always read it. Sensitive. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /**
   * Express `trust proxy`: how the client IP (rate limits, audit log) is read behind a reverse proxy. `false` (the
   * socket's address), `true`, a hop count, or comma-separated addresses/subnets of the proxies.
   */
  TRUST_PROXY: z.string().default('false'),
  /** Login tries per window per IP and per account; enrollment and upload requests per window per IP. */
  RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(300),
  RATE_LIMIT_LOGIN: z.coerce.number().int().min(1).default(10),
  RATE_LIMIT_ENROLL: z.coerce.number().int().min(1).default(60),
  RATE_LIMIT_UPLOAD: z.coerce.number().int().min(1).default(120),
});

export interface AppConfig extends PlatformConfig {
  http: { host: string; port: number };
  uploads: { maxBytes: number };
  pipelines: { auto: boolean };
  dashboardDir: string;
  queue: { prefix: string; settings: QueueSettings };
  devices: { offlineAfterS: number };
  auth: {
    required: boolean;
    sessionTtlS: number;
    cookieSecure: boolean;
    corsOrigins: string[];
    bootstrapAdmin: { email: string; password: string } | null;
    /** ADMIN_PASSWORD alone, for the create-admin CLI. */
    adminPassword: string | null;
    metricsToken: string | null;
    trustProxy: boolean | number | string;
    rateLimit: { windowS: number; login: number; enroll: number; upload: number };
  };
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
    auth: {
      required: e.AUTH_REQUIRED,
      sessionTtlS: e.SESSION_TTL_S,
      cookieSecure: e.COOKIE_SECURE,
      corsOrigins: e.CORS_ORIGINS,
      bootstrapAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL.toLowerCase(), password: e.ADMIN_PASSWORD } : null,
      adminPassword: e.ADMIN_PASSWORD ?? null,
      metricsToken: e.METRICS_TOKEN ?? null,
      trustProxy:
        e.TRUST_PROXY === 'true'
          ? true
          : e.TRUST_PROXY === 'false'
            ? false
            : /^\d+$/.test(e.TRUST_PROXY)
              ? Number(e.TRUST_PROXY)
              : e.TRUST_PROXY,
      rateLimit: { windowS: e.RATE_LIMIT_WINDOW_S, login: e.RATE_LIMIT_LOGIN, enroll: e.RATE_LIMIT_ENROLL, upload: e.RATE_LIMIT_UPLOAD },
    },
  };
}

/** For entry points other than main (the CLIs): the process's own environment. */
export const loadProcessConfig = (): AppConfig => loadConfig(process.env);
