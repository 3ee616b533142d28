import type { DeviceFacts } from '@edgefleet/contracts';

export interface MatchableProfile {
  id: string;
  slug: string;
  precisions: readonly string[];
}

const MCU_MAX_RAM_BYTES = 64 * 1024 * 1024;

/**
 * Picks a hardware profile for a device from what it reported. A small fixed rule set over the built-in
 * profiles; operators override the result with PATCH /api/devices/:id. `profiles` is tried in order for
 * the fallback (the first one that runs fp32). Returns null when nothing fits.
 */
export function matchProfile<P extends MatchableProfile>(facts: Pick<DeviceFacts, 'arch' | 'ramBytes' | 'accelerators'>, profiles: readonly P[]): P | null {
  const bySlug = (slug: string) => profiles.find((p) => p.slug === slug);
  const arch = facts.arch.toLowerCase();
  const hasGpu = facts.accelerators.some((a) => a.kind === 'gpu');
  const rule = facts.ramBytes < MCU_MAX_RAM_BYTES ? 'mcu-int8' : hasGpu ? 'gpu-fp16' : arch === 'arm64' || arch === 'aarch64' ? 'arm64-cpu-int8' : undefined;
  return (rule && bySlug(rule)) || profiles.find((p) => p.precisions.includes('fp32')) || null;
}
