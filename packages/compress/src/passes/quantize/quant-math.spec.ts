import { describe, expect, it } from 'vitest';
import { seeded } from '../../../test/pass-run.js';
import {
  affineParams,
  dequantizeValue,
  dequantizeWeights,
  float16AtLeast,
  quantizeBias,
  quantizeValue,
  quantizeWeights,
  representableRange,
  roundHalfEven,
  weightErrorInScales,
} from './quant-math.js';

/** Weights [channels, inner] whose channels differ in magnitude by up to 1000× (as after BatchNorm folding). */
function spreadWeights(channels: number, inner: number): Float32Array {
  const random = seeded(7);
  return Float32Array.from({ length: channels * inner }, (_, i) => (random() * 2 - 1) * 10 ** (-(Math.floor(i / inner) % 4)));
}

describe(affineParams.name, () => {
  it('maps a uint8 range with zero exactly representable', () => {
    const sut = affineParams(-1, 3, 'uint8');
    expect(sut.scale).toBeCloseTo(4 / 255, 7);
    expect(sut.zeroPoint).toBe(64);
    expect(dequantizeValue(quantizeValue(0, sut), sut)).toBe(0);
  });

  it('widens a range to include zero and keeps zero points inside the type', () => {
    expect(affineParams(2, 5, 'uint8').zeroPoint).toBe(0);
    expect(representableRange(affineParams(2, 5, 'uint8')).min).toBe(0);
    const negative = affineParams(-5, -2, 'uint8');
    expect(negative.zeroPoint).toBe(255);
    for (const [lo, hi] of [[-3, 7], [0, 6], [-6, 0], [-1e-3, 2e3]] as const) {
      const s = affineParams(lo, hi, 'int8');
      expect(s.zeroPoint).toBeGreaterThanOrEqual(-128);
      expect(s.zeroPoint).toBeLessThanOrEqual(127);
    }
    expect(affineParams(0, 6, 'int8').zeroPoint).toBe(-128);
  });

  it('gives a degenerate range scale 1 and refuses a reversed one', () => {
    expect(affineParams(0, 0, 'uint8')).toEqual({ scale: 1, zeroPoint: 0, type: 'uint8' });
    expect(() => affineParams(1, -1, 'uint8')).toThrow(/cannot quantize/);
  });

  it('rounds half to even like QuantizeLinear', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2]);
  });
});

describe(quantizeWeights.name, () => {
  it('gives each output channel its own scale, and every weight dequantizes within scale/2', () => {
    const data = spreadWeights(8, 27);
    const sut = quantizeWeights(data, [8, 3, 3, 3], 0);
    expect(sut.scales).toHaveLength(8);
    for (let c = 0; c < 8; c++) {
      const channel = data.subarray(c * 27, (c + 1) * 27);
      const absMax = Math.max(...Array.from(channel, Math.abs));
      expect(sut.scales[c]).toBe(Math.fround(absMax / 127));
    }
    const back = dequantizeWeights(sut, [8, 3, 3, 3]);
    for (let i = 0; i < data.length; i++) expect(Math.abs(back[i]! - data[i]!)).toBeLessThanOrEqual(sut.scales[Math.floor(i / 27)]! / 2 + 1e-12);
    expect(weightErrorInScales(data, sut, [8, 3, 3, 3])).toBeLessThanOrEqual(0.5);
    expect(Math.max(...Array.from(sut.values, Math.abs))).toBe(127);
  });

  it('runs scales along axis 1 for [K, N] MatMul weights', () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => (i % 3) + 1); // columns 1, 2, 3
    const sut = quantizeWeights(data, [4, 3], 1);
    expect(Array.from(sut.scales)).toEqual([1 / 127, 2 / 127, 3 / 127].map(Math.fround));
  });

  it('rounds scales up to float16 values when asked, without losing the scale/2 bound', () => {
    const data = spreadWeights(4, 9);
    const sut = quantizeWeights(data, [4, 9], 0, { float16Scales: true });
    // Channel scales down to ~1e-5 are shifted up by 2^k into float16's normal range.
    const k = sut.float16Exponent!;
    expect(k).toBeGreaterThan(0);
    const exact = quantizeWeights(data, [4, 9], 0);
    sut.scales.forEach((s, c) => {
      expect(float16AtLeast(s * 2 ** k)).toBe(s * 2 ** k);
      expect(s * 2 ** k).toBeGreaterThanOrEqual(2 ** -14);
      expect(s).toBeGreaterThanOrEqual(exact.scales[c]!);
      expect(s / exact.scales[c]!).toBeLessThan(1.001);
    });
    expect(weightErrorInScales(data, sut, [4, 9])).toBeLessThanOrEqual(0.5);
  });

  it('uses one scale per tensor without an axis, and honours scale floors', () => {
    const data = spreadWeights(4, 9);
    expect(quantizeWeights(data, [4, 9], undefined).scales).toHaveLength(1);
    const floored = quantizeWeights(data, [4, 9], 0, { minScales: [0, 0, 0, 1] });
    expect(floored.scales[3]).toBe(1);
    const dead = quantizeWeights(Float32Array.of(1, -1, 0, 0), [2, 2], 0);
    expect(Array.from(dead.scales)).toEqual([1 / 127, 1 / 127].map(Math.fround));
    expect(Array.from(floored.values.subarray(27, 36)).every((v) => v === 0)).toBe(true);
  });
});

describe(quantizeBias.name, () => {
  it('stores int32 values with scale = input scale × weight scale, zero point 0', () => {
    const weightScales = Float32Array.of(0.01, 0.002, 0.5);
    const bias = Float32Array.of(0.3, -0.02, 7);
    const sut = quantizeBias(bias, 0.05, weightScales);
    sut.scales.forEach((s, c) => expect(s).toBe(Math.fround(0.05 * weightScales[c]!)));
    sut.values.forEach((q, c) => expect(Math.abs(q * sut.scales[c]! - bias[c]!)).toBeLessThanOrEqual(sut.scales[c]! / 2));
    expect(sut.clamped).toBe(0);
  });

  it('counts values beyond int32', () => {
    expect(quantizeBias(Float32Array.of(1e6), 1e-3, Float32Array.of(1e-6)).clamped).toBe(1);
  });
});
