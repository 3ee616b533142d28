import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { canonicalJson, type SigningKeyDto, VariantManifest } from '@edgefleet/contracts';

export class VerificationError extends Error {
  constructor(
    readonly code: 'manifest/bad_signature' | 'manifest/invalid' | 'manifest/mismatch' | 'key/fingerprint_mismatch',
    message: string,
  ) {
    super(`agent/verify: ${message}`);
  }
}

/** The pinned platform key as a node KeyObject; the fingerprint must match the DER it came with. */
export function platformPublicKey(key: SigningKeyDto): KeyObject {
  const der = Buffer.from(key.publicKey, 'base64');
  const fp = createHash('sha256').update(der).digest('hex');
  if (fp !== key.fingerprint) throw new VerificationError('key/fingerprint_mismatch', 'pinned key does not match its fingerprint');
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/**
 * Verifies the ed25519 signature over canonicalJson(manifest) with the pinned key, then that the manifest names
 * the artifact the desired state announces. Returns the parsed manifest.
 */
export function verifyManifest(
  manifest: unknown,
  signatureB64: string,
  key: KeyObject,
  expected: { sha256: string; bytes: number },
): VariantManifest {
  let ok = false;
  try {
    ok = verify(null, Buffer.from(canonicalJson(manifest)), key, Buffer.from(signatureB64, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw new VerificationError('manifest/bad_signature', 'manifest signature does not verify against the pinned platform key');
  const parsed = VariantManifest.safeParse(manifest);
  if (!parsed.success) throw new VerificationError('manifest/invalid', `manifest is malformed: ${parsed.error.message}`);
  if (parsed.data.artifact.sha256 !== expected.sha256 || parsed.data.artifact.bytes !== expected.bytes) {
    throw new VerificationError('manifest/mismatch', 'artifact sha256/bytes differ from the signed manifest');
  }
  return parsed.data;
}
