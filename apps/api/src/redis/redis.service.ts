import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';

@Injectable()
export class RedisService implements OnModuleDestroy {
  readonly client: Redis;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Fail fast on the request path: a health probe must answer "down", not hang on retries.
    this.client = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2_000 });
    this.client.on('error', () => {
      // Connection errors surface through the commands that fail; ioredis would otherwise print them unhandled.
    });
  }

  async onModuleDestroy() {
    this.client.disconnect();
  }
}
