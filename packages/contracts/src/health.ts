import { z } from 'zod';

export const HealthCheck = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
export const HealthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptimeSeconds: z.number(),
  checks: z.object({ postgres: HealthCheck, redis: HealthCheck }),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
