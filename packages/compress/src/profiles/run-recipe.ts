import { CompressError } from '../errors.js';
import type { onnx } from '../ir/onnx.js';
import { toFloat16 } from '../passes/fp16.js';
import { optimize } from '../passes/optimize.js';
import type { PassReport, PassResult } from '../passes/pass-result.js';
import { pruneChannels, pruneUnstructured } from '../passes/prune/index.js';
import { quantizeDynamic, quantizeStatic } from '../passes/quantize/index.js';
import type { Recipe, RecipeStep } from './recipe.js';

export interface RecipeProgress {
  /** The step running (`optimize`, `int8-static`…) or a sub-step the pass reports (`calibrate`…). */
  readonly step: string;
  readonly done: number;
  readonly total: number;
}

export interface RecipeContext {
  /** `.npz` for static quantization. */
  readonly calibration?: string;
  /** Intra-op threads of the target; latency-aware choices are made for it. */
  readonly threads: number;
  readonly onProgress?: (p: RecipeProgress) => void;
}

function runStep(model: onnx.ModelProto, step: RecipeStep, ctx: RecipeContext): Promise<PassResult> {
  switch (step.name) {
    case 'optimize':
      return optimize(model, { level: step.level });
    case 'fp16':
      return toFloat16(model, { keepFloat32Ops: step.keepFloat32Ops ? [...step.keepFloat32Ops] : undefined });
    case 'int8-dynamic':
      return quantizeDynamic(model);
    case 'int8-static':
      if (!ctx.calibration) throw new CompressError('pass/invalid_options', 'profile', 'the int8-static step needs calibration data (an .npz)');
      return quantizeStatic(model, {
        calibration: ctx.calibration,
        method: step.method,
        percentile: step.percentile,
        exclude: step.exclude ? { names: [...step.exclude] } : undefined,
        auto: step.auto === false ? false : { threads: ctx.threads },
        onProgress: (p) => ctx.onProgress?.({ step: `int8-static/${p.step}`, done: p.done, total: p.total }),
      });
    case 'prune-channels':
      return pruneChannels(model, { ratio: step.ratio, norm: step.norm });
    case 'prune-unstructured':
      return pruneUnstructured(model, { sparsity: step.sparsity });
  }
}

/** Applies a recipe's steps in order; each step gets the previous step's model. */
export async function runRecipe(model: onnx.ModelProto, recipe: Recipe, ctx: RecipeContext): Promise<{ model: onnx.ModelProto; reports: PassReport[] }> {
  const reports: PassReport[] = [];
  let current = model;
  for (const [i, step] of recipe.steps.entries()) {
    ctx.onProgress?.({ step: step.name, done: i, total: recipe.steps.length });
    const result = await runStep(current, step, ctx);
    current = result.model;
    reports.push(result.report);
  }
  ctx.onProgress?.({ step: 'done', done: recipe.steps.length, total: recipe.steps.length });
  return { model: current, reports };
}
