import { AsyncLocalStorage } from 'node:async_hooks';
import type { Role } from '@edgefleet/contracts';

/** Who a request acts as: a dashboard session or an API key; both belong to one organisation with one role. */
export interface Principal {
  kind: 'user' | 'api_key';
  orgId: string;
  role: Role;
  /** The user (session) or the key's creator (API key). */
  userId: string | null;
  apiKeyId: string | null;
  /** Email or key name, for the audit log. */
  label: string;
  sessionId: string | null;
  expiresAt: Date | null;
}

export interface RequestContext {
  orgId: string;
  principal: Principal;
}

/**
 * The caller of the request being handled. The global `TenancyInterceptor` runs every authenticated handler inside
 * `requestContext.run(…)`; the Prisma extension in database/prisma.service.ts reads it to scope queries by organisation.
 * Outside a request (start-up, background loops, the device API) there is no store and queries are not scoped.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();

/** The caller's organisation; throws outside an authenticated request (a programming error, never a 4xx). */
export function requestOrgId(): string {
  const ctx = requestContext.getStore();
  if (!ctx) throw new Error('requestOrgId() called outside an authenticated request');
  return ctx.orgId;
}

/** Who to name in a record of what the request changed: the caller's email or key name, `system` outside a request. */
export function requestActor(): string {
  return requestContext.getStore()?.principal.label ?? 'system';
}
