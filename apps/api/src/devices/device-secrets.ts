import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const ENROLLMENT_TOKEN_PREFIX = 'eft_';
export const DEVICE_SECRET_PREFIX = 'eds_';

/** 32 random bytes, base64url, behind a prefix that makes leaked secrets easy to recognise and scan for. */
export const newSecret = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

/** Secrets are high-entropy, so a plain sha256 (not a slow password hash) is what gets stored. */
export const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
