import { SetMetadata } from '@nestjs/common';
import type { Role } from '@edgefleet/contracts';

export const AUTHZ_RULE = 'edgefleet:authz';
export const RATE_LIMIT = 'edgefleet:rate-limit';

/**
 * Every route names who may call it; the global AuthGuard rejects a route without a rule (deny by default), and the
 * matrix test (test/auth-matrix.e2e-spec.ts) fails for any route it finds without one.
 * - `public`: anyone (health, login, device enrollment, which checks its own token);
 * - `device`: the device API, authenticated by `DeviceAuthGuard` (`<deviceId>.<secret>`) and by nothing else;
 * - `roles`: a dashboard session or an API key of one of these roles;
 * - `metrics`: an admin, or `Authorization: Bearer <METRICS_TOKEN>`.
 */
export type AuthzRule = { kind: 'public' } | { kind: 'device' } | { kind: 'metrics' } | { kind: 'roles'; roles: readonly Role[] };

export const Public = () => SetMetadata(AUTHZ_RULE, { kind: 'public' } satisfies AuthzRule);
export const DeviceAuth = () => SetMetadata(AUTHZ_RULE, { kind: 'device' } satisfies AuthzRule);
export const MetricsAccess = () => SetMetadata(AUTHZ_RULE, { kind: 'metrics' } satisfies AuthzRule);
/** Reads: any member of the organisation. */
export const Read = () => SetMetadata(AUTHZ_RULE, { kind: 'roles', roles: ['admin', 'operator', 'ml', 'viewer'] } satisfies AuthzRule);
/** Writes: the role that owns the domain; admins may do everything. */
export const Write = (owner: 'admin' | 'operator' | 'ml') =>
  SetMetadata(AUTHZ_RULE, { kind: 'roles', roles: owner === 'admin' ? ['admin'] : ['admin', owner] } satisfies AuthzRule);

/** Requests per RATE_LIMIT_WINDOW_S, per caller (API key / user, else IP); over it → 429 with Retry-After. */
export type RateLimitBucket = 'enroll' | 'upload';
export const RateLimited = (bucket: RateLimitBucket) => SetMetadata(RATE_LIMIT, bucket);
