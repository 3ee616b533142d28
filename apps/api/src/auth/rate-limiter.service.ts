import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode } from '@edgefleet/contracts';
import { AppError } from '../common/app-error.js';
import { LOGGER, type Logger } from '../common/logger.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { RedisService } from '../redis/redis.service.js';

/**
 * Fixed-window counters in Redis (INCR + EXPIRE), shared by every API instance. When Redis is down it fails open:
 * losing throttling for a while beats locking everyone out of the login page during an outage.
 */
@Injectable()
export class RateLimiterService {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // The queue prefix keeps test files (one prefix each) from counting each other's requests.
    this.prefix = `edgefleet:ratelimit:${config.queue.prefix}`;
  }

  /** Counts one hit on `key`; throws 429 `request/rate_limited` once more than `limit` arrived in the window. */
  async hit(key: string, limit: number): Promise<void> {
    const windowS = this.config.auth.rateLimit.windowS;
    const redisKey = `${this.prefix}:${key}`;
    let count: number;
    let ttl: number;
    try {
      const res = await this.redis.client.multi().incr(redisKey).expire(redisKey, windowS, 'NX').ttl(redisKey).exec();
      count = Number(res?.[0]?.[1] ?? 0);
      ttl = Number(res?.[2]?.[1] ?? windowS);
    } catch (err) {
      this.logger.warn({ err, key }, 'rate limiter unavailable; request allowed');
      return;
    }
    if (count > limit) {
      const retryAfterS = Math.max(1, ttl);
      throw new AppError(ErrorCode.RateLimited, `too many requests; retry in ${retryAfterS} s`, { retryAfterS });
    }
  }

  /** Forgets a key, e.g. an account's failed logins after a successful one. */
  async reset(key: string): Promise<void> {
    await this.redis.client.del(`${this.prefix}:${key}`).catch(() => 0);
  }
}
