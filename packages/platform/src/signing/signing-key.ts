import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson, type SigningKeyDto } from '@edgefleet/contracts';

/** The platform's ed25519 artifact-signing key. */
export class SigningKey {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
  ) {}

  /**
   * Loads the key from `pem` (env) or from `file`; generates and stores one (mode 0600, written to a temp
   * file and renamed) when neither exists, so the first start of a platform has a key.
   */
  static async load({ pem, file }: { pem?: string; file: string }): Promise<SigningKey> {
    if (pem) return SigningKey.fromPrivate(createPrivateKey(pem));
    try {
      return SigningKey.fromPrivate(createPrivateKey(await fs.readFile(file, 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    const pemOut = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temp, pemOut, { mode: 0o600, flag: 'wx' });
    try {
      // link fails if another process created the key meanwhile; then both use the one on disk.
      await fs.link(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await fs.rm(temp, { force: true });
    }
    return SigningKey.fromPrivate(createPrivateKey(await fs.readFile(file, 'utf8')));
  }

  private static fromPrivate(privateKey: KeyObject): SigningKey {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`signing key must be ed25519, got ${privateKey.asymmetricKeyType}`);
    return new SigningKey(privateKey, createPublicKey(privateKey));
  }

  /** Signs the canonical JSON of `payload`; returns the signature base64. */
  sign(payload: unknown): string {
    return sign(null, Buffer.from(canonicalJson(payload)), this.privateKey).toString('base64');
  }

  verify(payload: unknown, signature: string): boolean {
    return verify(null, Buffer.from(canonicalJson(payload)), this.publicKey, Buffer.from(signature, 'base64'));
  }

  describe(): SigningKeyDto {
    const der = this.publicKey.export({ type: 'spki', format: 'der' });
    return {
      algorithm: 'ed25519',
      publicKey: der.toString('base64'),
      publicKeyPem: this.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      fingerprint: createHash('sha256').update(der).digest('hex'),
    };
  }
}
