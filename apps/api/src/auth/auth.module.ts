import { Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { RateLimiterService } from './rate-limiter.service.js';
import { TenancyInterceptor } from './tenancy.interceptor.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

/** Accounts: sessions, API keys, users, the audit log, and the global guard every route goes through. */
@Global()
@Module({
  controllers: [AuthController, UsersController, ApiKeysController, AuditController],
  providers: [
    AuthService,
    UsersService,
    ApiKeysService,
    AuditService,
    RateLimiterService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: TenancyInterceptor },
  ],
  exports: [AuthService, AuditService, RateLimiterService],
})
export class AuthModule {}
