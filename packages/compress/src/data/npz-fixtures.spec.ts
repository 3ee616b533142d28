import { describe, expect, it } from 'vitest';
import { mnistTestImages, mnistTestLabels, naturalImages, NPZ } from '../../test/fixtures.js';
import { sameBytes } from '../../test/npz-builder.js';
import { openNpz, type NpzBatch } from './npz.js';

const PIXELS = 28 * 28;
const NATURAL = 3 * 128 * 128;

describe('openNpz on the real MNIST calibration set', () => {
  it('lists both arrays without reading them', async () => {
    const npz = await openNpz(NPZ.mnistCalib);
    expect(npz.arrays).toEqual([
      { name: 'input', dtype: 'float32', shape: [1000, 1, 28, 28] },
      { name: 'labels', dtype: 'int64', shape: [1000] },
    ]);
  });

  it('holds t10k images 0–999 as pixel/255, the same through readArray and batches', async () => {
    const npz = await openNpz(NPZ.mnistCalib);
    const whole = (await npz.readArray('input')).data as Float32Array;
    const first = await npz.batches('input', 1).next();
    expect(first.done).toBe(false);
    const batch = first.value as NpzBatch;
    expect(batch.shape).toEqual([1, 1, 28, 28]);
    expect(sameBytes(batch.data, whole.subarray(0, PIXELS))).toBe(true);
    expect(Math.max(...(batch.data as Float32Array))).toBeGreaterThan(0.9);

    const raw = mnistTestImages();
    for (let i = 0; i < 1000 * PIXELS; i += 1) {
      if (Math.abs(whole[i]! - raw[i]! / 255) > 1e-7) throw new Error(`pixel ${i} differs: ${whole[i]} vs ${raw[i]}/255`);
    }
    expect(whole.some((v) => v > 0.99)).toBe(true);
  });

  it('labels match the MNIST t10k label file', async () => {
    const npz = await openNpz(NPZ.mnistCalib);
    const labels = (await npz.readArray('labels')).data as BigInt64Array;
    const raw = mnistTestLabels();
    expect(Array.from(labels.subarray(0, 10), Number)).toEqual(Array.from(raw.subarray(0, 10)));
    expect(Array.from(labels, Number)).toEqual(Array.from(raw.subarray(0, 1000)));
  });

  it('streams all 1000 samples in batches that concatenate to the whole array', async () => {
    const npz = await openNpz(NPZ.mnistCalib);
    const whole = (await npz.readArray('input')).data as Float32Array;
    let next = 0;
    const counts: number[] = [];
    for await (const batch of npz.batches('input', 128)) {
      expect(batch.start).toBe(next);
      expect(sameBytes(batch.data, whole.subarray(next * PIXELS, (next + batch.count) * PIXELS))).toBe(true);
      next += batch.count;
      counts.push(batch.count);
    }
    expect(counts).toEqual([128, 128, 128, 128, 128, 128, 128, 104]);
  });
});

describe('openNpz on the natural-image evaluation set', () => {
  it('reads the punctuated array name and the images as pixel/127.5 − 1', async () => {
    const npz = await openNpz(NPZ.naturalEval);
    expect(npz.arrays).toEqual([
      { name: 'input_1:0', dtype: 'float32', shape: [102, 3, 128, 128] },
      { name: 'labels', dtype: 'int64', shape: [102] },
    ]);
    const { pixels, labels } = naturalImages();
    // The eval set holds images 0, 1 and 102–201.
    const sourceIndex = (i: number) => (i < 2 ? i : i + 100);
    let checked = 0;
    for await (const batch of npz.batches('input_1:0', 40)) {
      const data = batch.data as Float32Array;
      for (let s = 0; s < batch.count; s += 1) {
        const from = sourceIndex(batch.start + s) * NATURAL;
        for (let p = 0; p < NATURAL; p += 997) {
          expect(data[s * NATURAL + p]).toBeCloseTo(pixels[from + p]! / 127.5 - 1, 5);
        }
        checked += 1;
      }
    }
    expect(checked).toBe(102);
    const npzLabels = Array.from((await npz.readArray('labels')).data as BigInt64Array, Number);
    expect(npzLabels).toEqual(Array.from({ length: 102 }, (_, i) => labels[sourceIndex(i)]));
  });
});
