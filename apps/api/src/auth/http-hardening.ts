import type { INestApplication } from '@nestjs/common';
import { ErrorCode } from '@edgefleet/contracts';
import type { NextFunction, Request, Response } from 'express';
import { AppError, statusOf } from '../common/app-error.js';
import type { AppConfig } from '../config/env.js';
import type { AuthedRequest } from './auth.guard.js';
import { AuditService } from './audit.service.js';
import { AuthService } from './auth.service.js';

// The dashboard is a Vite build served from 'self'; Recharts and React set inline styles; socket.io uses same-origin
// WebSockets ('self' covers ws/wss of the same host in CSP3 browsers).
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers on every response; HSTS only when the deployment says it is served over HTTPS (COOKIE_SECURE). */
export function securityHeaders(config: AppConfig) {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (config.auth.cookieSecure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every mutating request under /api — allowed, denied, failed or aborted — becomes one audit row once the response ends.
 * The device API's own traffic (heartbeats, telemetry every few seconds) is not audited; enrollment is.
 */
/** Which requests the audit trail records (exported for the test harness, which checks that each one left a row). */
export const isAudited = (method: string, path: string) =>
  MUTATING.has(method) && path.startsWith('/api/') && (!path.startsWith('/api/device/') || path === '/api/device/enroll');

export function auditTrail(app: INestApplication) {
  const audit = app.get(AuditService);
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    if (!MUTATING.has(req.method) || !path.startsWith('/api/') || (path.startsWith('/api/device/') && path !== '/api/device/enroll'))
      return next();
    let createdId: string | null = null;
    const json = res.json.bind(res);
    res.json = (body?: unknown) => {
      const id = (body as { id?: unknown } | null)?.id ?? (body as { deviceId?: unknown } | null)?.deviceId;
      if (typeof id === 'string') createdId = id;
      return json(body);
    };
    res.once('close', () => {
      const r = req as AuthedRequest & { device?: { id: string; orgId: string }; id?: unknown };
      const p = r.principal;
      const route = (r.route as { path?: string } | undefined)?.path;
      const segments = (route ?? path).split('/').filter(Boolean);
      const params = Object.values((r.params ?? {}) as Record<string, string>);
      const email = path === '/api/auth/login' ? (r.body as { email?: unknown } | undefined)?.email : undefined;
      audit
        .record({
          orgId: p?.orgId ?? r.device?.orgId ?? null,
          actorType: p ? p.kind : r.device ? 'device' : 'anonymous',
          actorId: p ? (p.apiKeyId ?? p.userId) : (r.device?.id ?? null),
          actorLabel: p?.label ?? (typeof email === 'string' ? email.slice(0, 254) : null),
          role: p?.role ?? null,
          action: `${req.method} ${route ?? path}`,
          targetType: segments[1] ?? null,
          targetId: params[0] ?? createdId,
          // A response cut short (client gone, stream failed) is recorded as 499.
          status: res.writableFinished ? res.statusCode : 499,
          ip: req.ip ?? null,
          userAgent: req.headers['user-agent'] ?? null,
          requestId: typeof r.id === 'string' ? r.id : null,
        })
        .catch((err: unknown) =>
          (req as Request & { log?: { error(o: object, m: string): void } }).log?.error({ err }, 'could not write the audit log'),
        );
    });
    next();
  };
}

/** Bull Board is plain Express (outside Nest's guard): admins only, by session or API key. */
export function adminOnly(app: INestApplication, config: AppConfig) {
  return restrictTo(app, config, 'admin');
}

/** Express middleware for routes Nest's guard does not see (the OpenAPI UI and document): any member of any role. */
export function membersOnly(app: INestApplication, config: AppConfig) {
  return restrictTo(app, config, null);
}

function restrictTo(app: INestApplication, config: AppConfig, role: 'admin' | null) {
  const auth = app.get(AuthService);
  return (req: Request, res: Response, next: NextFunction) => {
    auth
      .authenticate(req)
      .then((principal) => {
        if (!principal && config.auth.required) throw new AppError(ErrorCode.Unauthenticated, role ? 'log in as an admin' : 'log in or send an API key');
        if (principal && role && principal.role !== role) throw new AppError(ErrorCode.Forbidden, 'admins only');
        next();
      })
      .catch((err: unknown) => {
        if (!(err instanceof AppError)) return next(err);
        res.status(statusOf(err.code)).json({ statusCode: statusOf(err.code), error: err.code, message: err.message });
      });
  };
}
