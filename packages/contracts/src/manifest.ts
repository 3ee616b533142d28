import { z } from 'zod';

/**
 * What the platform signs for every variant: devices verify the signature with the pinned platform
 * key, then the artifact bytes against `sha256`. Persisted and sent to agents, hence `v`.
 */
export const VariantManifest = z
  .object({
    v: z.literal(1),
    model: z.object({ id: z.string().uuid(), name: z.string() }),
    version: z.object({ id: z.string().uuid(), number: z.number().int() }),
    profile: z.string(),
    recipe: z.string(),
    artifact: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative(), format: z.literal('onnx') }),
    createdAt: z.string(),
    /**
     * Inputs and the outputs the platform measured on this variant: the agent's health check runs them and
     * requires the same outputs within `tolerance` (absolute) before the variant may serve.
     */
    probe: z
      .object({
        inputs: z.record(z.string(), z.object({ dims: z.array(z.number().int()), data: z.array(z.number()) }).strict()),
        outputs: z.record(z.string(), z.object({ dims: z.array(z.number().int()), data: z.array(z.number()) }).strict()),
        tolerance: z.number().positive(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type VariantManifest = z.infer<typeof VariantManifest>;

/** Sorted-key JSON without whitespace: the exact bytes that are signed and verified on both ends. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const SigningKeyDto = z.object({
  algorithm: z.literal('ed25519'),
  /** SPKI DER, base64. */
  publicKey: z.string(),
  /** PEM of the same key, for tools that want it. */
  publicKeyPem: z.string(),
  /** sha256 of the DER, hex: what an agent pins at enrollment. */
  fingerprint: z.string(),
});
export type SigningKeyDto = z.infer<typeof SigningKeyDto>;
