import { describe, expect, it } from 'vitest';
import { CompressError, isCompressError } from './errors.js';

describe('CompressError', () => {
  it('carries a stable code, its name and a scoped message', () => {
    const cause = new Error('inner');
    const err = new CompressError('dataset/invalid', 'npz', 'bad header', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('CompressError');
    expect(err.code).toBe('dataset/invalid');
    expect(err.message).toBe('compress/npz: bad header');
    expect(err.cause).toBe(cause);
  });

  it('is recognised by isCompressError, optionally by code', () => {
    const err = new CompressError('model/not_onnx', 'load', 'x');
    expect(isCompressError(err)).toBe(true);
    expect(isCompressError(err, 'model/not_onnx')).toBe(true);
    expect(isCompressError(err, 'dataset/invalid')).toBe(false);
    expect(isCompressError(new Error('x'))).toBe(false);
  });
});
