import type { StudentArchitecture } from '../train/students.js';
import type { HardwareProfile, Precision } from './hardware-profile.js';

/** One step of a recipe; options are keyed by `name` so a recipe is plain, storable JSON. */
export type RecipeStep =
  | { readonly name: 'optimize'; readonly level: 'basic' | 'extended' }
  | { readonly name: 'fp16'; readonly keepFloat32Ops?: readonly string[] }
  | { readonly name: 'int8-dynamic' }
  | {
      readonly name: 'int8-static';
      readonly method?: 'minmax' | 'percentile' | 'entropy';
      readonly percentile?: number;
      /** Let the engine keep the layers in float that cost accuracy or run slower in int8. @defaultValue true */
      readonly auto?: boolean;
      readonly exclude?: readonly string[];
    }
  | { readonly name: 'prune-channels'; readonly ratio: number; readonly norm?: 'l1' | 'l2' }
  | { readonly name: 'prune-unstructured'; readonly sparsity: number }
  | {
      /**
       * Knowledge distillation of the recipe's current model (the student, e.g. after `prune-channels`) from the
       * ORIGINAL model given to `runRecipe` (the teacher), on the version's calibration/training .npz. 10% of it is
       * held out for early stopping. Must come before quantization / fp16 steps.
       */
      readonly name: 'distill';
      /** @defaultValue 10 */
      readonly epochs?: number;
      /** @defaultValue 4 */
      readonly temperature?: number;
      /** Weight of the distillation term vs. cross-entropy on labels. @defaultValue 0.7 */
      readonly alpha?: number;
      /** Initial learning rate of a cosine schedule. @defaultValue 0.01 */
      readonly learningRate?: number;
      /**
       * Train a built-in architecture (see `buildStudent`) from scratch instead of the recipe's current model; the
       * step must then be the recipe's first. @defaultValue the current model (e.g. after `prune-channels`)
       */
      readonly student?: StudentArchitecture;
      /** Width multiplier of a built-in student. @defaultValue 1 */
      readonly width?: number;
      /** @defaultValue 'sgd' (with momentum) */
      readonly optimizer?: 'sgd' | 'adam';
    };

export interface Recipe {
  /** Stable, human-readable id such as `int8-static`; unique within one compression run. */
  readonly id: string;
  readonly precision: Precision;
  readonly steps: readonly RecipeStep[];
}

/**
 * The recipes worth trying on a profile: one per precision it supports. int8 is static (calibrated)
 * when calibration data exists and dynamic otherwise; pruning is opt-in through explicit recipes
 * because without fine-tuning its accuracy cost is rarely worth it.
 *
 * Pruning with distillation is opt-in the same way: a pipeline run asks for it through recipe overrides, e.g.
 * `POST …/pipelines {"recipes":[{"id":"pruned50-distilled-int8","precision":"int8","steps":[{"name":"prune-channels","ratio":0.5},
 * {"name":"distill"},{"name":"int8-static"}]}]}` — the worker then trains on the version's calibration dataset.
 */
export function candidateRecipes(profile: HardwareProfile, opts: { hasCalibration: boolean }): Recipe[] {
  const recipes: Recipe[] = [];
  const level = profile.optimizationLevel;
  if (profile.precisions.includes('fp32')) recipes.push({ id: 'fp32', precision: 'fp32', steps: [{ name: 'optimize', level }] });
  if (profile.precisions.includes('fp16')) {
    recipes.push({ id: 'fp16', precision: 'fp16', steps: [{ name: 'optimize', level: 'basic' }, { name: 'fp16' }] });
  }
  if (profile.precisions.includes('int8')) {
    recipes.push(
      opts.hasCalibration
        ? { id: 'int8-static', precision: 'int8', steps: [{ name: 'int8-static', method: 'minmax', auto: true }] }
        : { id: 'int8-dynamic', precision: 'int8', steps: [{ name: 'optimize', level: 'basic' }, { name: 'int8-dynamic' }] },
    );
  }
  return recipes;
}
