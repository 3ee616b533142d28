/**
 * What each role may do in the dashboard. The API is the authority (it answers 403 regardless); this only hides
 * what would fail, so a viewer is not shown buttons that cannot work.
 */
import type { Role } from '@edgefleet/contracts';

export type { Role };

/** The roles, most powerful first (the contracts' `ROLES` is a runtime value of the zod schema, kept out of the bundle). */
export const ROLES = ['admin', 'operator', 'ml', 'viewer'] as const satisfies readonly Role[];

export type Action =
  /** create models, upload versions and datasets */
  | 'model:write'
  /** re-run or cancel compression pipelines */
  | 'pipeline:write'
  /** start, pause, resume, abort and roll back rollouts */
  | 'rollout:write'
  /** assign versions to devices, edit and revoke devices */
  | 'device:write'
  /** create and revoke enrollment tokens */
  | 'enrollment:write'
  /** edit hardware profiles */
  | 'profile:write'
  /** users, API keys and the audit log */
  | 'user:manage'
  | 'apikey:manage'
  | 'audit:read';

const GRANTS: Record<Role, ReadonlySet<Action>> = {
  admin: new Set<Action>(['model:write', 'pipeline:write', 'rollout:write', 'device:write', 'enrollment:write', 'profile:write', 'user:manage', 'apikey:manage', 'audit:read']),
  operator: new Set<Action>(['rollout:write', 'device:write', 'enrollment:write']),
  ml: new Set<Action>(['model:write', 'pipeline:write']),
  viewer: new Set<Action>(),
};

/** Whether `role` may perform `action`; an unknown or missing role may do nothing. */
export function can(role: Role | string | null | undefined, action: Action): boolean {
  if (!role || !Object.hasOwn(GRANTS, role)) return false;
  return GRANTS[role as Role].has(action);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
