import { CompressError } from '../errors.js';
import type { onnx } from '../ir/onnx.js';
import { toFloat16 } from '../passes/fp16.js';
import { optimize } from '../passes/optimize.js';
import type { PassReport, PassResult } from '../passes/pass-result.js';
import { pruneChannels, pruneUnstructured } from '../passes/prune/index.js';
import { quantizeDynamic, quantizeStatic } from '../passes/quantize/index.js';
import { distill, type DataSlice } from '../train/distill.js';
import type { Recipe, RecipeStep } from './recipe.js';

export interface RecipeProgress {
  /** The step running (`optimize`, `int8-static`…) or a sub-step the pass reports (`calibrate`…). */
  readonly step: string;
  readonly done: number;
  readonly total: number;
}

export interface RecipeContext {
  /** `.npz` for static quantization; also the training data of a `distill` step unless `training` is given. */
  readonly calibration?: string;
  /** Training data of a `distill` step (default: `calibration`); the last 10% are held out for early stopping. */
  readonly training?: string | readonly DataSlice[];
  /** Intra-op threads for distillation training (default: all cores). */
  readonly trainingThreads?: number;
  /** Intra-op threads of the target; latency-aware choices are made for it. */
  readonly threads: number;
  readonly onProgress?: (p: RecipeProgress) => void;
}

/** Steps after which the graph can no longer be trained (quantized or float16 weights). */
const UNTRAINABLE_AFTER: ReadonlySet<RecipeStep['name']> = new Set(['fp16', 'int8-dynamic', 'int8-static']);

function runStep(model: onnx.ModelProto, step: RecipeStep, ctx: RecipeContext, original: onnx.ModelProto): Promise<PassResult> {
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
    case 'distill': {
      const data = ctx.training ?? ctx.calibration;
      if (!data) {
        throw new CompressError('pass/invalid_options', 'profile', 'the distill step needs a training dataset (an .npz: the calibration/training dataset of the version)');
      }
      const epochs = step.epochs ?? 10;
      return distill(original, {
        student: step.student ? { name: step.student, width: step.width } : model,
        data,
        heldOut: { fraction: 0.1 },
        epochs,
        temperature: step.temperature ?? 4,
        alpha: step.alpha ?? 0.7,
        learningRate: { kind: 'cosine', initial: step.learningRate ?? 0.01 },
        optimizer: step.optimizer,
        earlyStopping: { patience: 3 },
        threads: ctx.trainingThreads,
        onProgress: (p) => ctx.onProgress?.({ step: 'distill/epoch', done: p.epoch, total: epochs }),
      });
    }
  }
}

/**
 * Applies a recipe's steps in order; each step gets the previous step's model. A `distill` step trains that
 * model (the student) to match `model` as given here (the teacher), so e.g. prune → distill → int8 recovers
 * the accuracy pruning cost before quantizing.
 */
export async function runRecipe(model: onnx.ModelProto, recipe: Recipe, ctx: RecipeContext): Promise<{ model: onnx.ModelProto; reports: PassReport[] }> {
  const distillAt = recipe.steps.findIndex((s) => s.name === 'distill');
  const blocker = distillAt > 0 ? recipe.steps.slice(0, distillAt).find((s) => UNTRAINABLE_AFTER.has(s.name)) : undefined;
  if (blocker) {
    throw new CompressError('pass/invalid_options', 'profile', `recipe ${recipe.id}: the distill step must come before ${blocker.name} (a quantized/float16 graph cannot be trained)`);
  }
  const builtIn = recipe.steps.findIndex((s) => s.name === 'distill' && s.student !== undefined);
  if (builtIn > 0) {
    throw new CompressError('pass/invalid_options', 'profile', `recipe ${recipe.id}: a distill step with a built-in student trains it from scratch, so it must be the first step (steps before it would be discarded)`);
  }
  const reports: PassReport[] = [];
  let current = model;
  for (const [i, step] of recipe.steps.entries()) {
    ctx.onProgress?.({ step: step.name, done: i, total: recipe.steps.length });
    const result = await runStep(current, step, ctx, model);
    current = result.model;
    reports.push(result.report);
  }
  ctx.onProgress?.({ step: 'done', done: recipe.steps.length, total: recipe.steps.length });
  return { model: current, reports };
}
