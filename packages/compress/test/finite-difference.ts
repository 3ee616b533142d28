import { appendGradients } from '../src/train/autodiff.js';
import { ort, withSession } from '../src/inspect/runtime.js';
import { encodeModelProto } from '../src/ir/model-proto.js';
import type { onnx } from '../src/ir/onnx.js';
import { randomFloats, seeded } from './pass-run.js';

export interface GradientCheck {
  /** Input (or weight fed as input) → ‖analytic − numeric‖ / ‖numeric‖. */
  relativeError: Record<string, number>;
  /** Largest |analytic − numeric| over the checked elements. */
  maxAbsError: number;
  checkedElements: number;
}

/**
 * Checks the reverse-mode gradients of L = Σ Y·R (R fixed random, Y the model's only output) with
 * respect to each float graph input against central differences computed in float64 from two
 * forward ORT runs per perturbed element. At most `maxElements` elements per input are perturbed.
 */
export async function checkGradients(
  model: onnx.ModelProto,
  feeds: Record<string, ort.Tensor>,
  wrt: readonly string[],
  { h = 5e-3, maxElements = 64, seed = 7 }: { h?: number; maxElements?: number; seed?: number } = {},
): Promise<GradientCheck> {
  const bytes = encodeModelProto(model);
  const outName = model.graph!.output![0]!.name!;
  const random = seeded(seed);
  return withSession(bytes, async (forward) => {
    const y0 = (await forward.run(feeds))[outName]!;
    const r = new ort.Tensor('float32', randomFloats(y0.size, random), y0.dims);
    const loss = async (f: Record<string, ort.Tensor>): Promise<number> => {
      const y = (await forward.run(f))[outName]!.data as Float32Array;
      let sum = 0;
      for (let i = 0; i < y.length; i++) sum += y[i]! * (r.data as Float32Array)[i]!;
      return sum;
    };
    const { model: gradModel, gradients } = await appendGradients(model, { wrt, seeds: { [outName]: 'seed_dy' }, probeFeeds: feeds });
    const analytic = await withSession(encodeModelProto(gradModel), async (s) => s.run({ ...feeds, seed_dy: r }));
    const relativeError: Record<string, number> = {};
    let maxAbsError = 0;
    let checkedElements = 0;
    for (const name of wrt) {
      const base = feeds[name]!;
      const values = base.data as Float32Array;
      const grad = analytic[gradients.get(name)!]!.data as Float32Array;
      if (grad.length !== values.length) throw new Error(`gradient of ${name} has ${grad.length} elements, expected ${values.length}`);
      const picks = values.length <= maxElements ? values.map((_, i) => i) : Array.from({ length: maxElements }, () => Math.floor(random() * values.length));
      let diff2 = 0;
      let norm2 = 0;
      for (const i of picks) {
        const at = async (delta: number): Promise<[number, number]> => {
          const copy = Float32Array.from(values);
          copy[i] = Math.fround(values[i]! + delta);
          return [await loss({ ...feeds, [name]: new ort.Tensor('float32', copy, base.dims) }), copy[i]!];
        };
        const [lp, xp] = await at(h);
        const [lm, xm] = await at(-h);
        const numeric = (lp - lm) / (xp - xm);
        diff2 += (grad[i]! - numeric) ** 2;
        norm2 += numeric ** 2;
        maxAbsError = Math.max(maxAbsError, Math.abs(grad[i]! - numeric));
        checkedElements++;
      }
      relativeError[name] = Math.sqrt(diff2) / Math.max(Math.sqrt(norm2), 1e-6);
    }
    return { relativeError, maxAbsError, checkedElements };
  });
}

/** Uniform values in offset ± scale. */
export function floatFeed(dims: number[], random: () => number, scale = 1, offset = 0): ort.Tensor {
  const values = randomFloats(dims.reduce((a, b) => a * b, 1), random, scale).map((v) => v + offset);
  return new ort.Tensor('float32', values, dims);
}
