import { createHash, generateKeyPairSync } from 'node:crypto';

/** A fresh ed25519 platform key: the private half to sign with, the DTO an agent pins. */
export function platformKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    dto: {
      algorithm: 'ed25519' as const,
      publicKey: der.toString('base64'),
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      fingerprint: createHash('sha256').update(der).digest('hex'),
    },
  };
}
