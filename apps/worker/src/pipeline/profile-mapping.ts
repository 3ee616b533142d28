import type { HardwareProfile as CompressProfile, Precision, Recipe } from '@edgefleet/compress';
import type { HardwareProfile } from '@edgefleet/db';
import type { PipelineStep } from '@edgefleet/contracts';

/** The database row as compress's profile; compress identifies profiles by slug. */
export function toCompressProfile(row: HardwareProfile): CompressProfile {
  const budget = (row.accuracyBudget ?? {}) as { maxDropPoints?: number; minAgreement?: number };
  return {
    id: row.slug,
    name: row.name,
    description: row.description,
    precisions: row.precisions as Precision[],
    optimizationLevel: row.optimizationLevel === 'extended' ? 'extended' : 'basic',
    threads: row.threads,
    maxModelBytes: row.maxModelBytes === null ? undefined : Number(row.maxModelBytes),
    maxLatencyMs: row.maxLatencyMs ?? undefined,
    accuracyBudget: { maxDropPoints: budget.maxDropPoints, minAgreement: budget.minAgreement },
    objective: row.objective === 'size' ? 'size' : 'latency',
  };
}

/** The run's recipe overrides (validated by the API with RecipeSchema), or undefined for the profile's candidates. */
export function recipeOverrides(value: unknown): Recipe[] | undefined {
  return Array.isArray(value) && value.length > 0 ? (value as Recipe[]) : undefined;
}

/** compress reports pass names and sub-steps; the REST/socket view has a fixed set of steps. */
export function toPipelineStep(step: string): PipelineStep {
  if (step === 'optimize') return 'optimize';
  if (step === 'evaluate') return 'evaluate';
  if (step.startsWith('calibrat')) return 'calibrate';
  return 'quantize';
}

/**
 * Overall 0..1 progress of a profile job: recipes share the range equally; within one, building the variant
 * is the first 60 % and evaluating it the rest.
 */
export function overallProgress(recipeIndex: number, recipeCount: number, step: string, done: number, total: number): number {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const within = step === 'evaluate' ? 0.6 + 0.4 * fraction : 0.6 * fraction;
  const overall = (Math.max(0, recipeIndex) + within) / Math.max(1, recipeCount);
  // 'store' and 'done' take the last few percent.
  return Math.min(0.95, overall * 0.95);
}
