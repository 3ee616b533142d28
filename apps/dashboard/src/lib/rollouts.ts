import type { CreateRolloutRequest, DeviceDto, GateName, GateResult, RolloutDeviceState, RolloutDto, RolloutGatesInput, RolloutStatus, WavePhase } from '@edgefleet/contracts';
import { formatMs, formatPercent } from './format';
import { parseTags } from './devices';
import type { FieldErrors, Validated } from './validation';

// Mirrors the contracts' ACTIVE_ROLLOUT_STATUSES (a value, which the dashboard does not import).
export const ACTIVE_STATUSES: readonly RolloutStatus[] = ['running', 'paused', 'rolling_back'];
export const isActive = (status: RolloutStatus) => ACTIVE_STATUSES.includes(status);

export const ROLLOUT_TONE: Record<RolloutStatus, 'ok' | 'bad' | 'warn' | 'info' | 'muted'> = {
  running: 'info',
  paused: 'warn',
  completed: 'ok',
  rolling_back: 'bad',
  rolled_back: 'bad',
  superseded: 'muted',
};

export const PHASE_TONE: Record<WavePhase, 'ok' | 'bad' | 'warn' | 'info' | 'muted'> = {
  pending: 'muted',
  shadow: 'info',
  switching: 'info',
  baking: 'warn',
  passed: 'ok',
  failed: 'bad',
};

export const VERDICT_TONE: Record<GateResult['verdict'], 'ok' | 'bad' | 'warn'> = { pass: 'ok', fail: 'bad', inconclusive: 'warn' };

/** Device states in the order the stacked bar draws them, with their colours. */
export const DEVICE_STATES: readonly { state: RolloutDeviceState; color: string }[] = [
  { state: 'running', color: '#15803d' },
  { state: 'assigned', color: '#60a5fa' },
  { state: 'shadow', color: '#a78bfa' },
  { state: 'pending', color: '#d1d5db' },
  { state: 'failed', color: '#b91c1c' },
  { state: 'rolled_back', color: '#f59e0b' },
  { state: 'skipped', color: '#6b7280' },
];

/** Active rollouts first (running, then paused, then rolling back), each group newest first. */
export function sortRollouts<T extends Pick<RolloutDto, 'status' | 'createdAt'>>(rollouts: readonly T[]): T[] {
  const rank = (s: RolloutStatus) => (isActive(s) ? ACTIVE_STATUSES.indexOf(s) : ACTIVE_STATUSES.length);
  return [...rollouts].sort((a, b) => rank(a.status) - rank(b.status) || b.createdAt.localeCompare(a.createdAt));
}

export type RolloutAction = 'pause' | 'resume' | 'abort' | 'rollback';
export const ACTION_LABEL: Record<RolloutAction, string> = { pause: 'Pause', resume: 'Resume', abort: 'Abort & roll back', rollback: 'Roll back' };
export const ACTION_HELP: Record<RolloutAction, string> = {
  pause: 'Stops widening: no further devices switch until it is resumed.',
  resume: 'Continues from the current wave.',
  abort: 'Stops the rollout and returns every switched device to the version it ran before.',
  rollback: 'Returns every device of this completed rollout to the version it ran before.',
};

/** What an operator may do in each status. */
export function actionsFor(status: RolloutStatus): RolloutAction[] {
  switch (status) {
    case 'running':
      return ['pause', 'abort'];
    case 'paused':
      return ['resume', 'abort'];
    case 'completed':
      return ['rollback'];
    default:
      return [];
  }
}

/** Segments of the device-state bar: only non-zero states, with their share of the total. */
export function deviceStateSegments(counts: Partial<Record<RolloutDeviceState, number>>) {
  const total = DEVICE_STATES.reduce((n, s) => n + (counts[s.state] ?? 0), 0);
  return {
    total,
    segments: DEVICE_STATES.filter((s) => (counts[s.state] ?? 0) > 0).map((s) => ({ ...s, count: counts[s.state]!, fraction: total > 0 ? counts[s.state]! / total : 0 })),
  };
}

/** A gate's figure in its own unit: rates and accuracy as %, latency in ms, health as a device count. */
export function formatGateValue(gate: GateName, value: number | null): string {
  if (value === null) return '–';
  switch (gate) {
    case 'errorRate':
    case 'accuracy':
    case 'shadow':
      return formatPercent(value, 2);
    case 'latencyP95':
      return formatMs(value);
    case 'health':
      return String(value);
  }
}

export const GATE_LABEL: Record<GateName, string> = {
  errorRate: 'Error rate',
  latencyP95: 'p95 latency',
  accuracy: 'Accuracy',
  health: 'Health failures',
  shadow: 'Shadow agreement',
};

/** "whole fleet", "group plant-a", "tags a + b", "3 devices". */
export function describeTarget(target: RolloutDto['target']): string {
  const parts: string[] = [];
  if (target.group) parts.push(`group ${target.group}`);
  if (target.tags) parts.push(`tags ${target.tags.join(' + ')}`);
  if (target.deviceIds) parts.push(`${target.deviceIds.length} device${target.deviceIds.length === 1 ? '' : 's'}`);
  return parts.length > 0 ? parts.join(', ') : 'whole fleet';
}

export function describeStrategy(strategy: RolloutDto['strategy']): string {
  if (strategy.kind === 'all-at-once') return 'all at once';
  const rate = strategy.maxDevicesPerMinute ? `, ≤ ${strategy.maxDevicesPerMinute}/min` : '';
  return `canary ${strategy.waves.map((w) => `${w}%`).join(' → ')}, bake ${strategy.bakeTimeS} s${rate}`;
}

/** "5, 25, 100" → [5, 25, 100], checked as the API will: 0.1–100, increasing, ending at 100, at most 10. */
export function parseWaves(raw: string): { ok: true; value: number[] } | { ok: false; error: string } {
  const parts = raw
    .split(/[\s,→>]+/)
    .map((s) => s.replace(/%$/, ''))
    .filter((s) => s.length > 0);
  if (parts.length === 0) return { ok: false, error: 'at least one wave, e.g. 5, 25, 100' };
  if (parts.length > 10) return { ok: false, error: 'at most 10 waves' };
  const waves = parts.map(Number);
  if (waves.some((w) => !Number.isFinite(w) || w < 0.1 || w > 100)) return { ok: false, error: 'each wave is a percentage between 0.1 and 100' };
  if (waves.some((w, i) => i > 0 && w <= waves[i - 1]!)) return { ok: false, error: 'waves must increase' };
  if (waves[waves.length - 1] !== 100) return { ok: false, error: 'the last wave must be 100' };
  return { ok: true, value: waves };
}

export interface RolloutFormInput {
  modelId: string;
  version: string;
  targetKind: 'all' | 'group' | 'tags';
  group: string;
  tags: string;
  strategy: 'all-at-once' | 'canary';
  waves: string;
  bakeTimeS: string;
  maxDevicesPerMinute: string;
  errorRateOn: boolean;
  /** Points of error rate the new version may add. */
  errorRateMaxIncreasePts: string;
  errorRateMinRequests: string;
  latencyOn: boolean;
  latencyMaxRatio: string;
  latencyMinRequests: string;
  accuracyOn: boolean;
  accuracyMaxDropPts: string;
  accuracyMinLabelled: string;
  healthMaxFailures: string;
  shadowOn: boolean;
  shadowSamplePct: string;
  shadowMinSamples: string;
  shadowMinAgreementPct: string;
  inconclusiveTimeoutS: string;
  supersede: boolean;
  note: string;
}

export function defaultRolloutForm(modelId = '', version = ''): RolloutFormInput {
  return {
    modelId,
    version,
    targetKind: 'all',
    group: '',
    tags: '',
    strategy: 'canary',
    waves: '5, 25, 100',
    bakeTimeS: '600',
    maxDevicesPerMinute: '',
    errorRateOn: true,
    errorRateMaxIncreasePts: '2',
    errorRateMinRequests: '50',
    latencyOn: true,
    latencyMaxRatio: '1.5',
    latencyMinRequests: '50',
    accuracyOn: false,
    accuracyMaxDropPts: '5',
    accuracyMinLabelled: '30',
    healthMaxFailures: '0',
    shadowOn: false,
    shadowSamplePct: '25',
    shadowMinSamples: '50',
    shadowMinAgreementPct: '90',
    inconclusiveTimeoutS: '1800',
    supersede: false,
    note: '',
  };
}

type Errors = FieldErrors<keyof RolloutFormInput>;

function num(errors: Errors, key: keyof RolloutFormInput, raw: string, min: number, max: number, opts: { integer?: boolean } = {}): number {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max || (opts.integer && !Number.isInteger(value))) {
    errors[key] = `${opts.integer ? 'a whole number' : 'a number'} from ${min} to ${max}`;
    return NaN;
  }
  return value;
}

/** Form → CreateRolloutRequest, with every field checked first. Percent inputs become fractions. */
export function validateRolloutForm(input: RolloutFormInput): Validated<CreateRolloutRequest, keyof RolloutFormInput> {
  const errors: Errors = {};
  if (!input.modelId) errors.modelId = 'choose a model';
  if (!input.version) errors.version = 'choose a version';

  let target: CreateRolloutRequest['target'] = { all: true };
  if (input.targetKind === 'group') {
    const group = input.group.trim();
    if (!group) errors.group = 'name a group';
    target = { group };
  } else if (input.targetKind === 'tags') {
    const tags = parseTags(input.tags);
    if (tags.length === 0) errors.tags = 'at least one tag';
    target = { tags };
  }

  let strategy: NonNullable<CreateRolloutRequest['strategy']> = { kind: 'all-at-once' };
  if (input.strategy === 'canary') {
    const waves = parseWaves(input.waves);
    if (!waves.ok) errors.waves = waves.error;
    const bakeTimeS = num(errors, 'bakeTimeS', input.bakeTimeS, 0, 7 * 86_400, { integer: true });
    const rate = input.maxDevicesPerMinute.trim() ? num(errors, 'maxDevicesPerMinute', input.maxDevicesPerMinute, 1, 1_000_000, { integer: true }) : undefined;
    strategy = { kind: 'canary', waves: waves.ok ? waves.value : [], bakeTimeS, ...(rate !== undefined ? { maxDevicesPerMinute: rate } : {}) };
  }

  const gates: RolloutGatesInput = {
    errorRate: input.errorRateOn
      ? { maxIncrease: num(errors, 'errorRateMaxIncreasePts', input.errorRateMaxIncreasePts, 0, 100) / 100, minRequests: num(errors, 'errorRateMinRequests', input.errorRateMinRequests, 1, 1e9, { integer: true }) }
      : null,
    latencyP95: input.latencyOn
      ? { maxRatio: num(errors, 'latencyMaxRatio', input.latencyMaxRatio, 1, 100), minRequests: num(errors, 'latencyMinRequests', input.latencyMinRequests, 1, 1e9, { integer: true }) }
      : null,
    accuracy: input.accuracyOn
      ? { maxDrop: num(errors, 'accuracyMaxDropPts', input.accuracyMaxDropPts, 0, 100) / 100, minLabelled: num(errors, 'accuracyMinLabelled', input.accuracyMinLabelled, 1, 1e9, { integer: true }) }
      : null,
    health: { maxFailures: num(errors, 'healthMaxFailures', input.healthMaxFailures, 0, 1e9, { integer: true }) },
    shadow: input.shadowOn
      ? {
          sampleRate: num(errors, 'shadowSamplePct', input.shadowSamplePct, 0.1, 100) / 100,
          minSamples: num(errors, 'shadowMinSamples', input.shadowMinSamples, 1, 1e9, { integer: true }),
          minAgreement: num(errors, 'shadowMinAgreementPct', input.shadowMinAgreementPct, 0, 100) / 100,
        }
      : null,
    inconclusiveTimeoutS: num(errors, 'inconclusiveTimeoutS', input.inconclusiveTimeoutS, 1, 7 * 86_400, { integer: true }),
  };
  const note = input.note.trim();
  if (note.length > 1000) errors.note = 'at most 1000 characters';

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const version = /^\d+$/.test(input.version) ? Number(input.version) : input.version;
  return { ok: true, value: { modelId: input.modelId, version, target, strategy, gates, supersede: input.supersede, ...(note ? { note } : {}) } };
}

/**
 * Adds a fetched batch of history to what is held, newest first; ids are increasing integers as strings, so
 * the largest is the `after` cursor for the next incremental fetch.
 */
export function mergeEvents<T extends { id: string }>(held: readonly T[], batch: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const e of held) byId.set(e.id, e);
  for (const e of batch) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => compareIds(b.id, a.id));
}

/** The cursor for `?after=`: the largest id held, or undefined when none. */
export function lastEventId(held: readonly { id: string }[]): string | undefined {
  return held.reduce<string | undefined>((max, e) => (max === undefined || compareIds(e.id, max) > 0 ? e.id : max), undefined);
}

function compareIds(a: string, b: string): number {
  // Numeric ids of any length: longer is larger, then lexicographic.
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export interface PreviewRow {
  /** Profile slug, or null for devices without one. */
  profile: string | null;
  devices: number;
  /** The recommended variant's recipe id that these devices would receive; null when they are skipped. */
  recipe: string | null;
  /** Why they are skipped (the API's rules), or null. */
  skipReason: string | null;
}

type PreviewDevice = Pick<DeviceDto, 'status' | 'group' | 'tags' | 'assignment'> & { profile: { slug: string } | null };
type PreviewVariant = { profile: { slug: string }; recipe: { id: string }; recommended: boolean };

/**
 * What a rollout of `version` to these devices would do, by the API's rules: revoked devices are left out; a
 * device without a profile, without a recommended variant for its profile, or already assigned the version is
 * skipped; every other one receives its profile's recommended variant.
 */
export function previewRollout(devices: readonly PreviewDevice[], variants: readonly PreviewVariant[], versionId: string | undefined): PreviewRow[] {
  const recipeOf = new Map(variants.filter((v) => v.recommended).map((v) => [v.profile.slug, v.recipe.id]));
  const rows = new Map<string, PreviewRow>();
  for (const d of devices) {
    if (d.status === 'revoked') continue;
    const slug = d.profile?.slug ?? null;
    let row: Omit<PreviewRow, 'devices'>;
    if (slug === null) row = { profile: null, recipe: null, skipReason: 'no hardware profile' };
    else if (!recipeOf.has(slug)) row = { profile: slug, recipe: null, skipReason: 'no recommended variant for this profile' };
    else if (versionId && d.assignment?.versionId === versionId) row = { profile: slug, recipe: null, skipReason: 'already assigned this version' };
    else row = { profile: slug, recipe: recipeOf.get(slug)!, skipReason: null };
    const key = `${row.profile}|${row.skipReason}`;
    const held = rows.get(key);
    if (held) held.devices++;
    else rows.set(key, { ...row, devices: 1 });
  }
  // Receiving rows first, then skipped; each by profile.
  return [...rows.values()].sort((a, b) => Number(a.skipReason !== null) - Number(b.skipReason !== null) || (a.profile ?? '').localeCompare(b.profile ?? ''));
}
