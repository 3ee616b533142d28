import { describe, expect, it } from 'vitest';
import { CreateModelRequest, UpdateModelRequest } from './models.js';
import { UploadVersionFields } from './versions.js';

describe('model contracts', () => {
  it('defaults labels and rejects unknown fields', () => {
    expect(CreateModelRequest.parse({ name: 'lenet', task: 'image-classification' }).labels).toEqual([]);
    expect(CreateModelRequest.safeParse({ name: 'lenet', task: 'image-classification', owner: 'x' }).success).toBe(false);
  });

  it('requires a versioned preprocessing spec', () => {
    const res = CreateModelRequest.safeParse({ name: 'm', task: 'other', preprocessing: { scale: 0.5 } });
    expect(res.success).toBe(false);
    expect(res.error?.issues[0]?.path).toEqual(['preprocessing', 'v']);
  });

  it('refuses names that are not URL- and file-safe', () => {
    for (const name of ['', ' ', '../x', 'a b', '-lead']) {
      expect(CreateModelRequest.safeParse({ name, task: 'other' }).success, name).toBe(false);
    }
  });

  it('refuses an empty update', () => {
    expect(UpdateModelRequest.safeParse({}).success).toBe(false);
  });

  it('accepts semantic versions only', () => {
    expect(UploadVersionFields.safeParse({ semver: '1.2.3-rc.1' }).success).toBe(true);
    expect(UploadVersionFields.safeParse({ semver: 'v1' }).success).toBe(false);
  });
});
