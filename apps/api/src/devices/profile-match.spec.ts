import { describe, expect, it } from 'vitest';
import { matchProfile } from './profile-match.js';

const profiles = [
  { id: '1', slug: 'arm64-cpu-int8', precisions: ['fp32', 'int8'] },
  { id: '2', slug: 'gpu-fp16', precisions: ['fp32', 'fp16'] },
  { id: '3', slug: 'mcu-int8', precisions: ['int8'] },
  { id: '4', slug: 'x86-cpu', precisions: ['fp32'] },
];
const MiB = 1024 * 1024;
const facts = (over: Partial<{ arch: string; ramBytes: number; accelerators: { kind: 'gpu' | 'npu'; name: string }[] }> = {}) => ({
  arch: 'x86_64',
  ramBytes: 8192 * MiB,
  accelerators: [],
  ...over,
});

describe(matchProfile.name, () => {
  it.each([
    ['arm64 without a GPU', facts({ arch: 'arm64' }), 'arm64-cpu-int8'],
    ['aarch64 (any case) without a GPU', facts({ arch: 'AArch64' }), 'arm64-cpu-int8'],
    ['arm64 with an NPU only', facts({ arch: 'aarch64', accelerators: [{ kind: 'npu', name: 'ethos' }] }), 'arm64-cpu-int8'],
    ['a GPU on x86', facts({ accelerators: [{ kind: 'gpu', name: 'T4' }] }), 'gpu-fp16'],
    ['a GPU on arm64', facts({ arch: 'arm64', accelerators: [{ kind: 'gpu', name: 'Orin' }] }), 'gpu-fp16'],
    ['less than 64 MiB of RAM', facts({ arch: 'armv7m', ramBytes: 512 * 1024 }), 'mcu-int8'],
    ['anything else: the first fp32 profile', facts(), 'arm64-cpu-int8'],
  ])('%s → %s', (_name, f, slug) => {
    expect(matchProfile(f, profiles)?.slug).toBe(slug);
  });

  it('falls back to the first fp32 profile when the rule names a missing one, and to null when none runs fp32', () => {
    const noGpu = profiles.filter((p) => p.slug !== 'gpu-fp16');
    expect(matchProfile(facts({ accelerators: [{ kind: 'gpu', name: 'T4' }] }), noGpu.slice(1))?.slug).toBe('x86-cpu');
    expect(matchProfile(facts(), [profiles[2]!])).toBeNull();
  });
});
