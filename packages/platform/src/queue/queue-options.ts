import type { ConnectionOptions, DefaultJobOptions } from 'bullmq';

export interface QueueSettings {
  /** Tries per profile job before it is marked failed. @defaultValue 3 */
  attempts: number;
  /** First retry delay; doubles per attempt. @defaultValue 5000 */
  backoffMs: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = { attempts: 3, backoffMs: 5_000 };

/** Failed jobs stay for inspection; completed ones go (their outcome lives in Postgres). */
export function defaultJobOptions(settings: QueueSettings = DEFAULT_QUEUE_SETTINGS): DefaultJobOptions {
  return {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: settings.backoffMs },
    removeOnComplete: true,
    removeOnFail: false,
  };
}

/**
 * Connection options from a redis:// URL. Workers need `maxRetriesPerRequest: null` (blocking commands
 * must wait out a Redis restart); producers on the request path should fail fast instead.
 */
export function redisConnection(url: string, role: 'worker' | 'producer'): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
  };
}
