import { Injectable } from '@nestjs/common';
import type { HealthResponse } from '@edgefleet/contracts';
import { PrismaService } from '../database/prisma.service.js';
import { RedisService } from '../redis/redis.service.js';
import { APP_VERSION } from '../version.js';

type Check = HealthResponse['checks']['postgres'];

const CHECK_TIMEOUT_MS = 2_000;

async function timed(probe: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

@Injectable()
export class HealthService {
  private readonly startedAt = Date.now();

  constructor(
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
  ) {}

  async check(): Promise<HealthResponse> {
    const [postgres, redis] = await Promise.all([
      timed(() => this.prisma.db.$queryRaw`SELECT 1`),
      timed(async () => {
        if (this.redis.client.status === 'wait') await this.redis.client.connect();
        const pong = await this.redis.client.ping();
        if (pong !== 'PONG') throw new Error(`unexpected PING reply ${pong}`);
      }),
    ]);
    return {
      status: postgres.ok && redis.ok ? 'ok' : 'degraded',
      version: APP_VERSION,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      checks: { postgres, redis },
    };
  }
}
