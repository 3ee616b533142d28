import os from 'node:os';
import path from 'node:path';
import { SigningKeyDto } from '@edgefleet/contracts';
import { z } from 'zod';
import { readJsonOrNull, writeFileAtomic } from './atomic-file.js';

/** What enrollment leaves on disk. Persisted, hence `v`. */
export const Identity = z
  .object({
    v: z.literal(1),
    server: z.string().url(),
    deviceId: z.string().uuid(),
    secret: z.string().min(1),
    platformKey: SigningKeyDto,
    enrolledAt: z.string(),
  })
  .strict();
export type Identity = z.infer<typeof Identity>;

/** @defaultValue `~/.edgefleet-agent` */
export const defaultStateDir = () => path.join(os.homedir(), '.edgefleet-agent');

export class IdentityStore {
  readonly file: string;
  constructor(readonly stateDir: string) {
    this.file = path.join(stateDir, 'identity.json');
  }

  /** Written 0600: the secret is the device's only credential. */
  async save(identity: Identity): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(Identity.parse(identity), null, 2)}\n`, 0o600);
  }

  async load(): Promise<Identity | null> {
    const raw = await readJsonOrNull(this.file);
    return raw === null ? null : Identity.parse(raw);
  }
}
