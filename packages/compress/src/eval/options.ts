import { CompressError } from '../errors.js';

/** `value` when it is a positive integer, `fallback` when undefined, else `eval/invalid_options`. */
export function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new CompressError('eval/invalid_options', 'eval', `${option} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Like `positiveInteger`, but 0 is allowed (warm-up runs). */
export function nonNegativeInteger(option: string, value: number | undefined, fallback: number): number {
  return value === 0 ? 0 : positiveInteger(option, value, fallback);
}

/**
 * The batch size to feed: the model's fixed batch when it has one (asking for another is an
 * `eval/invalid_options` error), else `requested`, else `fallback`.
 */
export function resolveBatchSize(option: string, requested: number | undefined, fixed: number | null, fallback: number): number {
  const size = positiveInteger(option, requested, fixed ?? fallback);
  if (fixed !== null && size !== fixed) {
    throw new CompressError('eval/invalid_options', 'eval', `${option} ${size} conflicts with the model's fixed batch of ${fixed}`);
  }
  return size;
}
