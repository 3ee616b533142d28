import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { sameBytes } from '../../test/npz-builder.js';
import type { TensorInfo } from '../ir/tensor-info.js';
import { syntheticBatch, syntheticInputs, syntheticSpecs } from './synthetic.js';

const INPUTS: TensorInfo[] = [
  { name: 'input_1:0', elemType: 'float32', shape: ['N', 3, 4, 'W'] },
  { name: 'ids', elemType: 'int64', shape: [null, 5] },
  { name: 'pixels', elemType: 'uint8', shape: [2, 64] },
];

describe(syntheticInputs.name, () => {
  it('shapes every input [n, ...dims] with symbolic and unknown dims set to 1', () => {
    const feeds = syntheticInputs(INPUTS, 6, 42);
    expect(Object.keys(feeds)).toEqual(['input_1:0', 'ids', 'pixels']);
    expect(feeds['input_1:0']).toMatchObject({ type: 'float32', dims: [6, 3, 4, 1] });
    expect(feeds['input_1:0']!.data).toHaveLength(6 * 12);
    expect(feeds.ids).toMatchObject({ type: 'int64', dims: [6, 5] });
    expect(feeds.ids!.data).toBeInstanceOf(BigInt64Array);
    expect(feeds.pixels).toMatchObject({ type: 'uint8', dims: [6, 64] });
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = syntheticInputs(INPUTS, 8, 7);
    const b = syntheticInputs(INPUTS, 8, 7);
    const c = syntheticInputs(INPUTS, 8, 8);
    for (const name of Object.keys(a)) expect(sameBytes(a[name]!.data, b[name]!.data)).toBe(true);
    expect(sameBytes(a['input_1:0']!.data, c['input_1:0']!.data)).toBe(false);
  });

  it('gives each sample the same values however the samples are batched', () => {
    const whole = syntheticInputs(INPUTS, 10, 3);
    const specs = syntheticSpecs(INPUTS);
    const part = syntheticBatch(specs, 4, 3, 3);
    const perSample = 12;
    expect(sameBytes(part['input_1:0']!.data, (whole['input_1:0']!.data as Float32Array).subarray(4 * perSample, 7 * perSample))).toBe(true);
    const padded = syntheticBatch(specs, 4, 3, 3, 5);
    expect(padded['input_1:0']!.dims).toEqual([5, 3, 4, 1]);
    expect(Array.from((padded['input_1:0']!.data as Float32Array).subarray(3 * perSample))).toEqual(new Array(2 * perSample).fill(0));
  });

  it('draws floats from [0, 1), bytes from their full range, other integers from {0, 1}', () => {
    const feeds = syntheticInputs(INPUTS, 200, 1);
    const floats = Array.from(feeds['input_1:0']!.data as Float32Array);
    expect(Math.min(...floats)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...floats)).toBeLessThan(1);
    // 2400 uniform draws: the mean sits near 0.5 (σ ≈ 0.006)
    expect(floats.reduce((a, b) => a + b, 0) / floats.length).toBeCloseTo(0.5, 1);
    const bytes = feeds.pixels!.data as Uint8Array;
    expect(Math.min(...bytes)).toBe(0);
    expect(Math.max(...bytes)).toBe(255);
    expect(new Set(Array.from(feeds.ids!.data as BigInt64Array))).toEqual(new Set([0n, 1n]));
  });

  it('refuses inputs it cannot synthesize', async () => {
    await expectCompressError(() => syntheticInputs([{ name: 's', elemType: 'string', shape: [1] }], 1, 0), 'eval/unsupported_model');
    await expectCompressError(() => syntheticInputs([{ name: 'x', elemType: 'float32', shape: null }], 1, 0), 'eval/unsupported_model');
    await expectCompressError(() => syntheticInputs([{ name: 'x', elemType: 'float32', shape: [] }], 1, 0), 'eval/unsupported_model');
  });
});
