import type { HardwareProfileDto, UpdateProfileRequest } from '@edgefleet/contracts';
import type { FieldErrors, Validated } from './validation';

// Mirrors the contracts' profile rules for the edit form (contracts are types only here); the API stays the authority.
export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const satisfies readonly HardwareProfileDto['precisions'][number][];
type Precision = (typeof PRECISIONS)[number];

const MiB = 1024 * 1024;

export interface ProfileFormInput {
  name: string;
  description: string;
  precisions: Precision[];
  optimizationLevel: string;
  threads: string;
  /** MiB; empty = no limit */
  maxModelMiB: string;
  /** empty = no limit */
  maxLatencyMs: string;
  /** points; empty = not checked */
  maxDropPoints: string;
  /** percent; empty = not checked */
  minAgreementPct: string;
  objective: string;
}

export function profileFormInput(p: HardwareProfileDto): ProfileFormInput {
  return {
    name: p.name,
    description: p.description,
    precisions: [...p.precisions],
    optimizationLevel: p.optimizationLevel,
    threads: String(p.threads),
    maxModelMiB: p.maxModelBytes === null ? '' : String(Math.round((p.maxModelBytes / MiB) * 100) / 100),
    maxLatencyMs: p.maxLatencyMs === null ? '' : String(p.maxLatencyMs),
    maxDropPoints: p.accuracyBudget.maxDropPoints === undefined ? '' : String(p.accuracyBudget.maxDropPoints),
    minAgreementPct: p.accuracyBudget.minAgreement === undefined ? '' : String(Math.round(p.accuracyBudget.minAgreement * 1000) / 10),
    objective: p.objective,
  };
}

function optionalNumber(raw: string, check: (n: number) => string | undefined): { value: number | null; error?: string } {
  const t = raw.trim();
  if (!t) return { value: null };
  const n = Number(t);
  if (!Number.isFinite(n)) return { value: null, error: 'a number, or empty' };
  const error = check(n);
  return error ? { value: null, error } : { value: n };
}

/** Only the fields that changed, so an edit does not rewrite what someone else changed meanwhile. */
export function validateProfileForm(p: HardwareProfileDto, input: ProfileFormInput): Validated<UpdateProfileRequest | null, keyof ProfileFormInput> {
  const errors: FieldErrors<keyof ProfileFormInput> = {};
  const name = input.name.trim();
  if (!name) errors.name = 'required';
  else if (name.length > 100) errors.name = 'at most 100 characters';
  if (input.description.length > 2000) errors.description = 'at most 2000 characters';
  if (input.precisions.length === 0) errors.precisions = 'pick at least one';
  if (input.optimizationLevel !== 'basic' && input.optimizationLevel !== 'extended') errors.optimizationLevel = 'basic or extended';
  if (input.objective !== 'latency' && input.objective !== 'size') errors.objective = 'latency or size';
  const threads = Number(input.threads.trim());
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) errors.threads = 'a whole number from 1 to 256';
  const size = optionalNumber(input.maxModelMiB, (n) => (n > 0 ? undefined : 'more than 0, or empty for no limit'));
  if (size.error) errors.maxModelMiB = size.error;
  const latency = optionalNumber(input.maxLatencyMs, (n) => (n > 0 ? undefined : 'more than 0, or empty for no limit'));
  if (latency.error) errors.maxLatencyMs = latency.error;
  const drop = optionalNumber(input.maxDropPoints, (n) => (n >= 0 && n <= 100 ? undefined : '0 to 100 points'));
  if (drop.error) errors.maxDropPoints = drop.error;
  const agree = optionalNumber(input.minAgreementPct, (n) => (n >= 0 && n <= 100 ? undefined : '0 to 100 %'));
  if (agree.error) errors.minAgreementPct = agree.error;
  if (!drop.error && !agree.error && drop.value === null && agree.value === null) errors.maxDropPoints = 'set a maximum drop, a minimum agreement or both';
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const next: Required<UpdateProfileRequest> = {
    name,
    description: input.description,
    precisions: PRECISIONS.filter((x) => input.precisions.includes(x)),
    optimizationLevel: input.optimizationLevel as 'basic' | 'extended',
    threads,
    maxModelBytes: size.value === null ? null : Math.round(size.value * MiB),
    maxLatencyMs: latency.value,
    accuracyBudget: {
      ...(drop.value !== null ? { maxDropPoints: drop.value } : {}),
      ...(agree.value !== null ? { minAgreement: Math.round(agree.value * 10) / 1000 } : {}),
    },
    objective: input.objective as 'latency' | 'size',
  };
  const before = { ...profileFormInput(p) };
  const now = profileFormInput({ ...p, ...next, precisions: next.precisions });
  const changed: UpdateProfileRequest = {};
  if (now.name !== before.name) changed.name = next.name;
  if (now.description !== before.description) changed.description = next.description;
  // A set: the order the API lists them in is not a change.
  if ([...now.precisions].sort().join() !== [...before.precisions].sort().join()) changed.precisions = next.precisions;
  if (now.optimizationLevel !== before.optimizationLevel) changed.optimizationLevel = next.optimizationLevel;
  if (now.threads !== before.threads) changed.threads = next.threads;
  if (now.maxModelMiB !== before.maxModelMiB) changed.maxModelBytes = next.maxModelBytes;
  if (now.maxLatencyMs !== before.maxLatencyMs) changed.maxLatencyMs = next.maxLatencyMs;
  if (now.maxDropPoints !== before.maxDropPoints || now.minAgreementPct !== before.minAgreementPct) changed.accuracyBudget = next.accuracyBudget;
  if (now.objective !== before.objective) changed.objective = next.objective;
  return { ok: true, value: Object.keys(changed).length > 0 ? changed : null };
}
