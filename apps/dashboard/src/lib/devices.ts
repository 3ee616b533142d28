import type { CreateEnrollmentTokenRequest, DeviceDto, DeviceStatus, UpdateDeviceRequest } from '@edgefleet/contracts';
import type { FieldErrors, Validated } from './validation';

// Mirrors of the contracts' device rules (the dashboard imports contracts as types only); the API stays the authority.
const GROUP_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9._:=-]*$/;

export const DEVICE_STATUSES = ['online', 'offline', 'revoked'] as const satisfies readonly DeviceStatus[];

export const STATUS_TONE: Record<DeviceStatus, 'ok' | 'warn' | 'bad' | 'muted'> = { online: 'ok', offline: 'warn', revoked: 'muted' };
export const HEALTH_TONE: Record<NonNullable<DeviceDto['health']>, 'ok' | 'warn' | 'bad'> = { ok: 'ok', degraded: 'warn', failing: 'bad' };

/** "a, b,,a c" → ["a", "b", "c"]: commas or spaces separate, duplicates dropped. */
export function parseTags(raw: string): string[] {
  return [...new Set(raw.split(/[\s,]+/).filter((t) => t.length > 0))];
}

export function groupError(group: string): string | undefined {
  if (group.length > 64) return 'at most 64 characters';
  if (!GROUP_RE.test(group)) return 'letters, digits, ".", "_" and "-", starting with a letter or digit';
  return undefined;
}

export function tagsError(tags: string[]): string | undefined {
  if (tags.length > 32) return 'at most 32 tags';
  const bad = tags.find((t) => t.length > 64 || !TAG_RE.test(t));
  return bad === undefined ? undefined : `“${bad}”: letters, digits and ".", "_", ":", "=", "-"`;
}

export interface TokenFormInput {
  name: string;
  group: string;
  tags: string;
  /** Hours until expiry; '' = never. */
  expiresInH: string;
  /** '' = unlimited. */
  maxUses: string;
}

export function validateTokenForm(input: TokenFormInput): Validated<CreateEnrollmentTokenRequest, keyof TokenFormInput> {
  const errors: FieldErrors<keyof TokenFormInput> = {};
  const name = input.name.trim();
  if (!name) errors.name = 'required';
  else if (name.length > 100) errors.name = 'at most 100 characters';
  const group = input.group.trim() || 'default';
  const gErr = groupError(group);
  if (gErr) errors.group = gErr;
  const tags = parseTags(input.tags);
  const tErr = tagsError(tags);
  if (tErr) errors.tags = tErr;
  let expiresInS: number | undefined;
  if (input.expiresInH.trim()) {
    const h = Number(input.expiresInH);
    if (!Number.isFinite(h) || h <= 0 || h > 365 * 24) errors.expiresInH = 'hours between 0 and 8760';
    else expiresInS = Math.max(1, Math.round(h * 3600));
  }
  let maxUses: number | undefined;
  if (input.maxUses.trim()) {
    const n = Number(input.maxUses);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) errors.maxUses = 'a whole number from 1';
    else maxUses = n;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { name, group, tags, ...(expiresInS ? { expiresInS } : {}), ...(maxUses ? { maxUses } : {}) } };
}

export interface DeviceEditInput {
  name: string;
  group: string;
  tags: string;
  /** Profile slug; '' = automatic (clears an override). */
  profile: string;
}

/** Only the fields that changed, so an unchanged form sends nothing (`null` when there is nothing to send). */
export function validateDeviceEdit(device: DeviceDto, input: DeviceEditInput): Validated<UpdateDeviceRequest | null, keyof DeviceEditInput> {
  const errors: FieldErrors<keyof DeviceEditInput> = {};
  const body: { name?: string; group?: string; tags?: string[]; profile?: string | null } = {};
  const name = input.name.trim();
  if (!name) errors.name = 'required';
  else if (name !== device.name) body.name = name;
  const group = input.group.trim();
  const gErr = groupError(group);
  if (gErr) errors.group = gErr;
  else if (group !== device.group) body.group = group;
  const tags = parseTags(input.tags);
  const tErr = tagsError(tags);
  if (tErr) errors.tags = tErr;
  else if (tags.join(',') !== device.tags.join(',')) body.tags = tags;
  if (input.profile !== (device.profile?.slug ?? '')) body.profile = input.profile || null;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: Object.keys(body).length > 0 ? body : null };
}

/** Facts as label/value rows for the device page. */
export function factRows(facts: DeviceDto['facts'], formatBytes: (n: number) => string): [string, string][] {
  const acc = facts.accelerators.length
    ? facts.accelerators.map((a) => `${a.kind}: ${a.name}${a.memoryBytes !== undefined ? ` (${formatBytes(a.memoryBytes)})` : ''}`).join('; ')
    : 'none';
  return [
    ['Architecture', facts.arch],
    ['CPU', `${facts.cpuModel || 'unknown'} · ${facts.cpuCores} cores`],
    ['RAM', formatBytes(facts.ramBytes)],
    ['Accelerators', acc],
    ['OS', facts.os],
    ['onnxruntime', facts.onnxruntimeVersion],
    ['Agent', facts.agentVersion],
  ];
}
