import { mulberry32 } from '../src/eval/synthetic.js';
import { expect } from 'vitest';
import { openNpz } from '../src/data/npz.js';
import { evaluate } from '../src/eval/evaluate.js';
import type { Evaluation } from '../src/eval/types.js';
import { ort, withSession } from '../src/inspect/runtime.js';
import { encodeModelProto } from '../src/ir/model-proto.js';
import type { onnx } from '../src/ir/onnx.js';
import { fixturePath } from './fixtures.js';

/** The eval/mnist datasets `fixtures.ts` does not name. */
export const EVAL_NPZ = {
  mnistEval: fixturePath('npz/mnist-eval-9k.npz'),
  mnistBnEval: fixturePath('npz/mnist-bn-eval-9k.npz'),
} as const;

/** A float32 input tensor of the first `rows` samples of one .npz array. */
export async function npzRows(file: string, array: string, rows: number): Promise<ort.Tensor> {
  const npz = await openNpz(file);
  for await (const batch of npz.batches(array, rows)) {
    return new ort.Tensor('float32', batch.data as Float32Array, batch.shape);
  }
  throw new Error(`${file} has no rows in ${array}`);
}

/** Runs a model once (all threads of this machine, default optimizations) and returns every output. */
export async function runModel(model: onnx.IModelProto | Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const bytes = model instanceof Uint8Array ? model : encodeModelProto(model);
  return withSession(bytes, async (session) => {
    const out = await session.run(feeds);
    return Object.fromEntries(session.outputNames.map((name) => [name, out[name]!]));
  });
}

/** Same dtype, same dims, and every element within `atol + rtol·|expected|`. */
export function expectClose(actual: ort.Tensor, expected: ort.Tensor, atol: number, rtol = 0): void {
  expect(actual.type).toBe(expected.type);
  expect([...actual.dims]).toEqual([...expected.dims]);
  const a = actual.data as Float32Array;
  const e = expected.data as Float32Array;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    const excess = Math.abs(a[i]! - e[i]!) - (atol + rtol * Math.abs(e[i]!));
    if (Number.isNaN(a[i]!) !== Number.isNaN(e[i]!) || excess > worst) {
      worst = Number.isNaN(a[i]!) ? Infinity : excess;
      at = i;
    }
  }
  expect(at, at < 0 ? '' : `element ${at}: ${a[at]} vs ${e[at]} (atol ${atol}, rtol ${rtol})`).toBe(-1);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/**
 * Accuracy (and agreement with `reference`) on a labelled .npz through `evaluate()`, with the
 * latency phase cut to one run: these tests want the data pass only.
 */
export async function scoreOn(model: onnx.IModelProto | Uint8Array, dataset: string, reference?: onnx.IModelProto | Uint8Array, batchSize?: number): Promise<Evaluation> {
  const bytes = model instanceof Uint8Array ? model : encodeModelProto(model);
  return evaluate(bytes, {
    dataset,
    ...(reference ? { reference: reference instanceof Uint8Array ? reference : encodeModelProto(reference) } : {}),
    ...(batchSize ? { batchSize } : {}),
    threads: 2,
    latency: { runs: 1, warmup: 0 },
  });
}

/** A deterministic pseudo-random generator (mulberry32) for test weights and inputs. */
export const seeded = mulberry32;

/** Uniform values in [-scale, scale). */
export function randomFloats(count: number, random: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: count }, () => (random() * 2 - 1) * scale);
}
