import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorCode } from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import type { Request } from 'express';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { AuthService, bearerOf } from './auth.service.js';
import { AUTHZ_RULE, type AuthzRule, RATE_LIMIT, type RateLimitBucket } from './authz.decorators.js';
import { RateLimiterService } from './rate-limiter.service.js';
import type { Principal } from './request-context.js';

export type AuthedRequest = Request & { principal?: Principal };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** With AUTH_REQUIRED=false a request without credentials acts as this (local development only). */
const ANONYMOUS_ADMIN: Principal = {
  kind: 'user',
  orgId: DEFAULT_ORG_ID,
  role: 'admin',
  userId: null,
  apiKeyId: null,
  label: 'anonymous (AUTH_REQUIRED=false)',
  sessionId: null,
  expiresAt: null,
};

/**
 * The global guard (APP_GUARD): deny by default. A route is reachable only through the rule its decorator names
 * (authz.decorators.ts); a route without one answers 403 to everyone. Sets `req.principal` for the handler, the
 * TenancyInterceptor and the audit log.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly limiter: RateLimiterService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    // socket.io gateways authenticate their handshakes themselves (events.gateway.ts, devices.gateway.ts).
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const rule = this.reflector.getAllAndOverride<AuthzRule | undefined>(AUTHZ_RULE, [ctx.getHandler(), ctx.getClass()]);
    const bucket = this.reflector.getAllAndOverride<RateLimitBucket | undefined>(RATE_LIMIT, [ctx.getHandler(), ctx.getClass()]);

    if (rule?.kind === 'public' || rule?.kind === 'device') {
      // Device routes are checked by DeviceAuthGuard (device credentials only; an API key or a cookie is no device).
      if (bucket) await this.limit(bucket, req, null);
      return true;
    }
    if (rule?.kind === 'metrics' && this.config.auth.metricsToken !== null && bearerOf(req) === this.config.auth.metricsToken) return true;

    let principal = await this.auth.authenticate(req);
    if (!principal) {
      if (this.config.auth.required)
        throw new AppError(ErrorCode.Unauthenticated, 'log in or send an API key (Authorization: Bearer efk_…)');
      principal = ANONYMOUS_ADMIN;
    }
    req.principal = principal;
    if (principal.kind === 'user' && principal.sessionId && !SAFE_METHODS.has(req.method)) this.checkOrigin(req);

    const roles = rule?.kind === 'metrics' ? ['admin'] : rule?.kind === 'roles' ? rule.roles : [];
    if (!roles.includes(principal.role)) {
      throw new AppError(ErrorCode.Forbidden, rule ? `this needs the role ${roles.join(' or ')}` : 'this route has no access rule');
    }
    if (bucket) await this.limit(bucket, req, principal);
    return true;
  }

  /**
   * CSRF: the cookie is SameSite=Strict, and a cookie-authenticated mutating request must also come from the API's own
   * origin or a CORS_ORIGINS one, when the browser says where it comes from (every current browser sends Origin on
   * non-GET requests; clients that are not browsers carry no ambient cookie to abuse).
   */
  private checkOrigin(req: Request) {
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site') throw new AppError(ErrorCode.CsrfRejected, 'cross-site request with a session cookie');
    if (origin === undefined) return;
    // Scheme-agnostic: behind a TLS-terminating proxy the API itself sees http.
    const host = req.headers.host ?? '';
    const sameHost = origin.replace(/^https?:\/\//, '') === host;
    if (!sameHost && !this.config.auth.corsOrigins.includes(origin) && site !== 'same-origin') {
      throw new AppError(ErrorCode.CsrfRejected, `requests with a session cookie must come from ${host}`);
    }
  }

  private async limit(bucket: RateLimitBucket, req: Request, principal: Principal | null) {
    const limit = this.config.auth.rateLimit[bucket];
    const who = principal?.apiKeyId ?? principal?.userId;
    await this.limiter.hit(`${bucket}:ip:${req.ip ?? 'unknown'}`, who ? limit * 5 : limit);
    if (who) await this.limiter.hit(`${bucket}:caller:${who}`, limit);
  }
}
