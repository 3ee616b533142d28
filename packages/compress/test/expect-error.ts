import { expect } from 'vitest';
import { CompressError, type CompressErrorCode } from '../src/errors.js';

/** Runs `action` and returns the CompressError it must raise with `code`. */
export async function expectCompressError(action: () => unknown, code: CompressErrorCode): Promise<CompressError> {
  let caught: unknown;
  try {
    await action();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a CompressError ${code}`).toBeInstanceOf(CompressError);
  expect((caught as CompressError).code).toBe(code);
  return caught as CompressError;
}
