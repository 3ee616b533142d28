import type { Prisma } from '@prisma/client';

/** The shape of an engine profile (`@edgefleet/compress` HardwareProfile), as far as a row needs it. */
export interface ProfileSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly precisions: readonly string[];
  readonly optimizationLevel: string;
  readonly threads: number;
  readonly maxModelBytes?: number;
  readonly maxLatencyMs?: number;
  readonly accuracyBudget: { readonly maxDropPoints?: number; readonly minAgreement?: number };
  readonly objective?: string;
}

/** The `hardware_profiles` row of a built-in engine profile (slug = the profile's id). */
export function builtinProfileRow(p: ProfileSpec, orgId: string): Prisma.HardwareProfileCreateManyInput {
  return {
    orgId,
    slug: p.id,
    name: p.name,
    description: p.description,
    precisions: [...p.precisions],
    optimizationLevel: p.optimizationLevel,
    threads: p.threads,
    maxModelBytes: p.maxModelBytes === undefined ? null : BigInt(p.maxModelBytes),
    maxLatencyMs: p.maxLatencyMs ?? null,
    accuracyBudget: { ...p.accuracyBudget },
    objective: p.objective ?? 'latency',
    builtin: true,
  };
}
