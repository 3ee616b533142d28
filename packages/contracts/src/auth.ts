import { z } from 'zod';
import { IsoDate, PaginationQuery } from './common.js';

/**
 * Roles, one per user per organisation (and one per API key, its scope):
 * - `admin`: everything, including users, API keys, hardware profiles and the audit log;
 * - `operator`: devices, enrollment tokens, assignments, rollouts, plus read access to everything;
 * - `ml`: models, versions, datasets, pipelines, plus read access to everything;
 * - `viewer`: read only.
 */
export const Role = z.enum(['admin', 'operator', 'ml', 'viewer']);
export type Role = z.infer<typeof Role>;
export const ROLES = Role.options;

/** The cookie that carries a dashboard session (HTTP-only, SameSite=Strict). */
export const SESSION_COOKIE = 'ef_session';
/** Every API key starts with this; `Authorization: Bearer efk_…`. */
export const API_KEY_PREFIX = 'efk_';

const Email = z.string().trim().toLowerCase().email().max(254);
/** At least 12 characters; upper bound so hashing cost stays bounded. */
const Password = z.string().min(12).max(256);
const PersonName = z.string().trim().min(1).max(100);

// ── sessions ────────────────────────────────────────────────────────────────

/** `POST /api/auth/login` → 200 `SessionDto` and a `Set-Cookie: ef_session=…` (HTTP-only). Bad credentials → 401 `auth/invalid_credentials`; too many tries → 429 `auth/rate_limited` with `Retry-After`. */
export const LoginRequest = z
  .object({
    email: Email,
    password: z.string().min(1).max(256),
  })
  .strict();
export type LoginRequest = z.infer<typeof LoginRequest>;

export const OrgSummaryDto = z.object({ id: z.string().uuid(), name: z.string() });
export type OrgSummaryDto = z.infer<typeof OrgSummaryDto>;

export const UserDto = z.object({
  id: z.string().uuid(),
  email: z.string(),
  name: z.string().nullable(),
  role: Role,
  orgId: z.string().uuid(),
  disabled: z.boolean(),
  lastLoginAt: IsoDate.nullable(),
  createdAt: IsoDate,
});
export type UserDto = z.infer<typeof UserDto>;

/**
 * `POST /api/auth/login` and `GET /api/auth/me`. `via` says which credential the request used;
 * for an API key `user` is the key's creator (null when created by the system) and `expiresAt` the key's expiry.
 * Cookie-authenticated mutating requests must come from the API's own origin (SameSite=Strict + an Origin check);
 * no CSRF token is needed. A 401 `auth/unauthenticated` or `auth/session_expired` means: log in again.
 */
export const SessionDto = z.object({
  via: z.enum(['session', 'api_key']),
  user: UserDto.nullable(),
  org: OrgSummaryDto,
  role: Role,
  expiresAt: IsoDate.nullable(),
});
export type SessionDto = z.infer<typeof SessionDto>;

// ── users (admin) ───────────────────────────────────────────────────────────

export const CreateUserRequest = z
  .object({
    email: Email,
    name: PersonName.optional(),
    password: Password,
    role: Role,
  })
  .strict();
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

/** `PATCH /api/users/<id>`; a new password or `disabled: true` ends the user's sessions. */
export const UpdateUserRequest = z
  .object({
    name: PersonName.nullable().optional(),
    password: Password.optional(),
    role: Role.optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

// ── API keys (admin) ────────────────────────────────────────────────────────

export const ApiKeyDto = z.object({
  id: z.string().uuid(),
  name: z.string(),
  /** The first characters of the key (`efk_abcd1234`), for recognising it; the key itself is never shown again. */
  prefix: z.string(),
  role: Role,
  createdBy: z.string().uuid().nullable(),
  createdAt: IsoDate,
  lastUsedAt: IsoDate.nullable(),
  expiresAt: IsoDate.nullable(),
  revokedAt: IsoDate.nullable(),
});
export type ApiKeyDto = z.infer<typeof ApiKeyDto>;

export const CreateApiKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: Role,
    /** Seconds until the key expires; never when omitted. */
    expiresInS: z
      .number()
      .int()
      .min(60)
      .max(5 * 365 * 86_400)
      .optional(),
  })
  .strict();
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

/** The create response: the only time the key (`efk_…`) is shown. */
export const CreatedApiKeyDto = ApiKeyDto.extend({ key: z.string() });
export type CreatedApiKeyDto = z.infer<typeof CreatedApiKeyDto>;

// ── audit log (admin) ───────────────────────────────────────────────────────

export const AuditActorType = z.enum(['user', 'api_key', 'device', 'system', 'anonymous']);
export type AuditActorType = z.infer<typeof AuditActorType>;
export const AuditResult = z.enum(['success', 'denied', 'failed']);
export type AuditResult = z.infer<typeof AuditResult>;

export const AuditEntryDto = z.object({
  id: z.string(),
  at: IsoDate,
  actorType: AuditActorType,
  actorId: z.string().nullable(),
  /** The user's email or the key's name at the time. */
  actorLabel: z.string().nullable(),
  role: Role.nullable(),
  /** `<METHOD> <route pattern>`, e.g. `POST /api/rollouts/:id/pause`. */
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  /** HTTP status of the response. */
  status: z.number().int(),
  /** `success` (2xx/3xx), `denied` (401/403/429), `failed` (any other status). */
  result: AuditResult,
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
});
export type AuditEntryDto = z.infer<typeof AuditEntryDto>;

/** `GET /api/audit?…` → `Page<AuditEntryDto>`, newest first. */
export const AuditQuery = PaginationQuery.extend({
  actorType: AuditActorType.optional(),
  actorId: z.string().optional(),
  action: z.string().max(200).optional(),
  targetType: z.string().max(64).optional(),
  targetId: z.string().max(128).optional(),
  result: AuditResult.optional(),
  since: z.coerce.date().optional(),
  until: z.coerce.date().optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;
