import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createPrismaClient, type PrismaClient } from '@edgefleet/db';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { tenantScope } from './tenant-scope.js';

/**
 * Owns the one Prisma client of the process; services reach tables through `db`. The client carries the
 * tenant-scope extension (tenant-scope.ts): inside a request every query is limited to the caller's organisation.
 */
@Injectable()
export class PrismaService implements OnModuleInit, OnModuleDestroy {
  readonly db: PrismaClient;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Query extensions keep the client's shape, so the extended client is still used as a PrismaClient.
    this.db = createPrismaClient({ databaseUrl: config.databaseUrl }).$extends(tenantScope) as unknown as PrismaClient;
  }

  async onModuleInit() {
    await this.db.$connect();
  }

  async onModuleDestroy() {
    await this.db.$disconnect();
  }
}
