import { sign } from 'node:crypto';
import { canonicalJson } from '@edgefleet/contracts';
import { describe, expect, it } from 'vitest';
import { platformPublicKey, verifyManifest } from '../src/verify/manifest.js';
import { platformKey } from './keys.js';

const SHA = 'a'.repeat(64);
const manifest = {
  v: 1,
  model: { id: '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', name: 'lenet' },
  version: { id: '8f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', number: 1 },
  profile: 'arm64-cpu-int8',
  recipe: 'int8-dyn',
  artifact: { sha256: SHA, bytes: 1234, format: 'onnx' },
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('verifyManifest', () => {
  const platform = platformKey();
  const signature = sign(null, Buffer.from(canonicalJson(manifest)), platform.privateKey).toString('base64');
  const key = platformPublicKey(platform.dto);

  it('accepts a manifest signed by the pinned key (key order does not matter)', () => {
    const reordered = Object.fromEntries(Object.entries(manifest).reverse());
    expect(verifyManifest(reordered, signature, key, { sha256: SHA, bytes: 1234 }).artifact.sha256).toBe(SHA);
  });

  it('refuses a signature made by another key', () => {
    const other = platformKey();
    const forged = sign(null, Buffer.from(canonicalJson(manifest)), other.privateKey).toString('base64');
    expect(() => verifyManifest(manifest, forged, key, { sha256: SHA, bytes: 1234 })).toThrow(expect.objectContaining({ code: 'manifest/bad_signature' }));
  });

  it('refuses a flipped byte in the manifest or the signature', () => {
    expect(() => verifyManifest({ ...manifest, recipe: 'int8-dyo' }, signature, key, { sha256: SHA, bytes: 1234 })).toThrow(expect.objectContaining({ code: 'manifest/bad_signature' }));
    const sig = Buffer.from(signature, 'base64');
    sig[5] = sig[5]! ^ 0x01;
    expect(() => verifyManifest(manifest, sig.toString('base64'), key, { sha256: SHA, bytes: 1234 })).toThrow(expect.objectContaining({ code: 'manifest/bad_signature' }));
  });

  it('refuses an artifact whose sha256 or size differs from the signed manifest', () => {
    expect(() => verifyManifest(manifest, signature, key, { sha256: 'b'.repeat(64), bytes: 1234 })).toThrow(expect.objectContaining({ code: 'manifest/mismatch' }));
    expect(() => verifyManifest(manifest, signature, key, { sha256: SHA, bytes: 1235 })).toThrow(expect.objectContaining({ code: 'manifest/mismatch' }));
  });

  it('refuses a pinned key whose fingerprint does not match', () => {
    expect(() => platformPublicKey({ ...platform.dto, fingerprint: '0'.repeat(64) })).toThrow(expect.objectContaining({ code: 'key/fingerprint_mismatch' }));
  });
});
