import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

describe('passwords (scrypt)', () => {
  it('stores the parameters and a random salt with the hash, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false);
  });

  it('never matches a malformed or foreign hash', async () => {
    for (const stored of ['', 'plain', 'scrypt$15$8$1$abc', 'bcrypt$2b$10$abc$def$ghi', 'scrypt$40$8$1$AAAA$AAAA']) {
      expect(await verifyPassword('x', stored)).toBe(false);
    }
  });
});
