import type { CreateApiKeyRequest, CreateUserRequest } from '@edgefleet/contracts';
import { isRole } from './permissions';
import type { FieldErrors, Validated } from './validation';

// Mirrors of the contracts' rules for the account forms (contracts are types only here); the API stays the authority.
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const MIN_PASSWORD = 12;

export interface UserFormInput {
  email: string;
  name: string;
  password: string;
  role: string;
}

export function validateUserForm(input: UserFormInput): Validated<CreateUserRequest, keyof UserFormInput> {
  const errors: FieldErrors<keyof UserFormInput> = {};
  const email = input.email.trim().toLowerCase();
  const name = input.name.trim();
  if (!email) errors.email = 'required';
  else if (email.length > 254 || !EMAIL_RE.test(email)) errors.email = 'not an email address';
  if (name.length > 100) errors.name = 'at most 100 characters';
  if (input.password.length < MIN_PASSWORD) errors.password = `at least ${MIN_PASSWORD} characters`;
  else if (input.password.length > 256) errors.password = 'at most 256 characters';
  if (!isRole(input.role)) errors.role = 'pick a role';
  if (Object.keys(errors).length > 0 || !isRole(input.role)) return { ok: false, errors };
  return { ok: true, value: { email, password: input.password, role: input.role, ...(name ? { name } : {}) } };
}

export interface ApiKeyFormInput {
  name: string;
  role: string;
  /** Days until it expires; empty = never. */
  expiresInDays: string;
}

const MAX_DAYS = 5 * 365;

export function validateApiKeyForm(input: ApiKeyFormInput): Validated<CreateApiKeyRequest, keyof ApiKeyFormInput> {
  const errors: FieldErrors<keyof ApiKeyFormInput> = {};
  const name = input.name.trim();
  if (!name) errors.name = 'required';
  else if (name.length > 100) errors.name = 'at most 100 characters';
  if (!isRole(input.role)) errors.role = 'pick a role';
  let expiresInS: number | undefined;
  const raw = input.expiresInDays.trim();
  if (raw) {
    const days = Number(raw);
    if (!Number.isFinite(days) || days <= 0) errors.expiresInDays = 'a positive number of days, or empty for never';
    else if (days > MAX_DAYS) errors.expiresInDays = `at most ${MAX_DAYS} days`;
    else expiresInS = Math.max(60, Math.round(days * 86_400));
  }
  if (Object.keys(errors).length > 0 || !isRole(input.role)) return { ok: false, errors };
  return { ok: true, value: { name, role: input.role, ...(expiresInS !== undefined ? { expiresInS } : {}) } };
}

/** A key's state for the list. */
export function apiKeyState(key: { revokedAt: string | null; expiresAt: string | null }, now = Date.now()): 'revoked' | 'expired' | 'active' {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return 'expired';
  return 'active';
}

/** `datetime-local` input value (local time, no zone) → ISO instant, or undefined when empty or invalid. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}
