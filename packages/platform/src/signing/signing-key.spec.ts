import { generateKeyPairSync, verify } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '@edgefleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SigningKey } from './signing-key.js';

describe(SigningKey.name, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-keys-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('generates a key on first use, stores it 0600, and reuses it', async () => {
    const file = path.join(dir, 'keys', 'artifact-signing.pem');
    const first = await SigningKey.load({ file });
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const second = await SigningKey.load({ file });
    expect(second.describe()).toEqual(first.describe());
    expect(await fs.readdir(path.dirname(file))).toEqual(['artifact-signing.pem']);
  });

  it('signs canonical JSON that the public key verifies, whatever the key order', async () => {
    const sut = await SigningKey.load({ file: path.join(dir, 'k.pem') });
    const signature = sut.sign({ b: 2, a: { sha256: 'ab', bytes: 3 } });
    expect(sut.verify({ a: { bytes: 3, sha256: 'ab' }, b: 2 }, signature)).toBe(true);
    expect(sut.verify({ a: { bytes: 4, sha256: 'ab' }, b: 2 }, signature)).toBe(false);
    // An agent holding only the published DER verifies the same bytes.
    const { publicKey } = sut.describe();
    const spki = (await import('node:crypto')).createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
    expect(verify(null, Buffer.from(canonicalJson({ a: { sha256: 'ab', bytes: 3 }, b: 2 })), spki, Buffer.from(signature, 'base64'))).toBe(true);
  });

  it('uses a key given as PEM and refuses other algorithms', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const sut = await SigningKey.load({ pem, file: path.join(dir, 'unused.pem') });
    expect(sut.verify({ x: 1 }, sut.sign({ x: 1 }))).toBe(true);
    await expect(fs.access(path.join(dir, 'unused.pem'))).rejects.toThrow();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await expect(SigningKey.load({ pem: rsa, file: path.join(dir, 'x.pem') })).rejects.toThrow(/ed25519/);
  });
});
