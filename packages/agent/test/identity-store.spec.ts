import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityStore } from '../src/state/identity-store.js';
import { platformKey } from './keys.js';

describe('IdentityStore', () => {
  let dir: string;
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes identity.json with mode 0600 and reads it back', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-id-'));
    const store = new IdentityStore(path.join(dir, 'state'));
    expect(await store.load()).toBeNull();
    const identity = { v: 1 as const, server: 'http://127.0.0.1:3000', deviceId: '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', secret: 'eds_secret', platformKey: platformKey().dto, enrolledAt: new Date().toISOString() };
    await store.save(identity);
    const stat = await fs.stat(store.file);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(await store.load()).toEqual(identity);
    // rewriting keeps the mode and leaves no temp file behind
    await store.save({ ...identity, secret: 'eds_other' });
    expect((await fs.stat(store.file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(path.join(dir, 'state'))).toEqual(['identity.json']);
  });
});
