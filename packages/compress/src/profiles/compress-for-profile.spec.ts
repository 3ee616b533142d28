import { describe, expect, it } from 'vitest';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { fixturePath } from '../../test/fixtures.js';
import { compressForProfile, compressForProfiles } from './compress-for-profile.js';
import { BUILTIN_PROFILES, builtinProfile, type HardwareProfile } from './hardware-profile.js';
import { candidateRecipes } from './recipe.js';

const EVAL = fixturePath('npz/mnist-eval-9k.npz');
const fast = { maxEvalSamples: 1000, latencyRuns: 10 };

describe(candidateRecipes.name, () => {
  it('offers one recipe per precision the profile allows', () => {
    const ids = (p: HardwareProfile, hasCalibration: boolean) => candidateRecipes(p, { hasCalibration }).map((r) => r.id);
    expect(ids(builtinProfile('arm64-cpu-int8')!, true)).toEqual(['fp32', 'int8-static']);
    expect(ids(builtinProfile('arm64-cpu-int8')!, false)).toEqual(['fp32', 'int8-dynamic']);
    expect(ids(builtinProfile('gpu-fp16')!, true)).toEqual(['fp32', 'fp16']);
    expect(ids(builtinProfile('mcu-int8')!, true)).toEqual(['int8-static']);
  });
});

describe(compressForProfile.name, () => {
  it('evaluates every candidate, judges it on labels and recommends one within budget', async () => {
    const sut = await compressForProfile(MODELS.lenet, builtinProfile('arm64-cpu-int8')!, { calibration: NPZ.mnistCalib, evaluation: EVAL }, fast);
    expect(sut.variants.map((v) => v.recipe.id)).toEqual(['fp32', 'int8-static']);
    for (const v of sut.variants) {
      expect(v.judgedOn).toBe('labels');
      expect(v.verdict.status).toBe('passed');
      expect(v.evaluation.samples).toBe(1000);
    }
    const int8 = sut.variants.find((v) => v.recipe.id === 'int8-static')!;
    expect(int8.model.length).toBeLessThan(0.3 * sut.baseline.size.bytes);
    expect(sut.recommended).not.toBeNull();
    expect(sut.variants.filter((v) => v.recommended)).toHaveLength(1);
    // The smallest variant can never be dominated on size.
    expect(int8.onParetoFront).toBe(true);
  });

  it('fails variants that break the profile limits, with the reason, and recommends none', async () => {
    const strict: HardwareProfile = { ...builtinProfile('mcu-int8')!, id: 'tiny', maxModelBytes: 10_000, maxLatencyMs: 0.000001 };
    const sut = await compressForProfile(MODELS.lenet, strict, { calibration: NPZ.mnistCalib, evaluation: EVAL }, fast);
    expect(sut.recommended).toBeNull();
    const [variant] = sut.variants;
    expect(variant!.verdict).toEqual({ status: 'failed', reasons: [expect.stringContaining('10000-byte limit'), expect.stringContaining('median latency')] });
  });

  it('judges on agreement with fp32 when there are no labels, and says so', async () => {
    const profile: HardwareProfile = { ...builtinProfile('gpu-fp16')!, accuracyBudget: { minAgreement: 0.99 } };
    const [sut] = await compressForProfiles(MODELS.lenet, [profile], {}, { latencyRuns: 5 });
    expect(sut!.variants.map((v) => [v.recipe.id, v.judgedOn])).toEqual([
      ['fp32', 'synthetic-agreement'],
      ['fp16', 'synthetic-agreement'],
    ]);
    expect(sut!.variants.every((v) => v.evaluation.fidelity!.top1Agreement >= 0.99)).toBe(true);
  });

  it('builds each variant once when profiles share a recipe and thread count', async () => {
    const twins = [builtinProfile('mcu-int8')!, { ...builtinProfile('mcu-int8')!, id: 'mcu-twin' }];
    const steps: string[] = [];
    await compressForProfiles(MODELS.lenet, twins, { calibration: NPZ.mnistCalib }, { ...fast, onProgress: (p) => p.step === 'int8-static' && steps.push(p.profile) });
    expect(steps).toEqual(['mcu-int8']);
    expect(BUILTIN_PROFILES.length).toBeGreaterThanOrEqual(3);
  });
});
