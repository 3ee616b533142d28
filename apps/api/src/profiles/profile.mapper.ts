import type { HardwareProfileDto } from '@edgefleet/contracts';
import type { HardwareProfile } from '@edgefleet/db';

export function mapProfile(p: HardwareProfile): HardwareProfileDto {
  return {
    id: p.id,
    slug: p.slug,
    name: p.name,
    description: p.description,
    precisions: p.precisions as HardwareProfileDto['precisions'],
    optimizationLevel: p.optimizationLevel as HardwareProfileDto['optimizationLevel'],
    threads: p.threads,
    maxModelBytes: p.maxModelBytes === null ? null : Number(p.maxModelBytes),
    maxLatencyMs: p.maxLatencyMs,
    accuracyBudget: p.accuracyBudget as HardwareProfileDto['accuracyBudget'],
    objective: p.objective as HardwareProfileDto['objective'],
    builtin: p.builtin,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
