import { evaluate } from '../eval/evaluate.js';
import type { Evaluation } from '../eval/types.js';
import { encodeModelProto } from '../ir/model-proto.js';
import { toModelProto } from '../ir/model-file.js';
import type { onnx } from '../ir/onnx.js';
import type { PassReport } from '../passes/pass-result.js';
import type { HardwareProfile } from './hardware-profile.js';
import { paretoFront } from './pareto.js';
import { candidateRecipes, type Recipe } from './recipe.js';
import { runRecipe, type RecipeProgress } from './run-recipe.js';

export interface CompressDatasets {
  /** `.npz` for calibration (static int8). */
  readonly calibration?: string;
  /** `.npz` for accuracy/fidelity; without it, calibration data, then synthetic inputs, are used. */
  readonly evaluation?: string;
}

export interface CompressOptions {
  /** Replace the profile's candidate recipes. */
  readonly recipes?: readonly Recipe[];
  /** Cap on evaluation samples (speed over precision). */
  readonly maxEvalSamples?: number;
  /** Timed runs per latency measurement. @defaultValue 50 */
  readonly latencyRuns?: number;
  readonly onProgress?: (p: CompressProgress) => void;
}

export type CompressProgress = { readonly profile: string; readonly recipe: string } & (RecipeProgress | { readonly step: 'evaluate'; readonly done: number; readonly total: number });

export type Verdict = { readonly status: 'passed' } | { readonly status: 'failed'; readonly reasons: readonly string[] };

export interface CompressedVariant {
  readonly recipe: Recipe;
  readonly model: Uint8Array;
  readonly evaluation: Evaluation;
  readonly reports: readonly PassReport[];
  readonly verdict: Verdict;
  /** Whether the verdict judged accuracy on labels or, lacking labels, agreement with fp32. */
  readonly judgedOn: 'labels' | 'agreement' | 'synthetic-agreement';
  readonly onParetoFront: boolean;
  readonly recommended: boolean;
}

export interface ProfileResult {
  readonly profile: HardwareProfile;
  readonly baseline: Evaluation;
  readonly variants: readonly CompressedVariant[];
  readonly recommended: string | null;
}

/** Top-1 accuracy in points, or agreement, as the budget wants it. */
function judge(profile: HardwareProfile, baseline: Evaluation, e: Evaluation): { verdict: Verdict; judgedOn: CompressedVariant['judgedOn'] } {
  const reasons: string[] = [];
  if (profile.maxModelBytes !== undefined && e.size.bytes > profile.maxModelBytes) {
    reasons.push(`${e.size.bytes} bytes exceed the ${profile.maxModelBytes}-byte limit`);
  }
  if (profile.maxLatencyMs !== undefined && e.latencyMs.median > profile.maxLatencyMs) {
    reasons.push(`median latency ${e.latencyMs.median.toFixed(2)} ms exceeds ${profile.maxLatencyMs} ms`);
  }
  const budget = profile.accuracyBudget;
  let judgedOn: CompressedVariant['judgedOn'];
  if (e.accuracy && baseline.accuracy && budget.maxDropPoints !== undefined) {
    judgedOn = 'labels';
    const drop = (baseline.accuracy.top1 - e.accuracy.top1) * 100;
    if (drop > budget.maxDropPoints) reasons.push(`accuracy drops ${drop.toFixed(2)} points, budget ${budget.maxDropPoints}`);
  } else {
    judgedOn = e.inputsSource === 'synthetic' ? 'synthetic-agreement' : 'agreement';
    const agreement = e.fidelity?.top1Agreement ?? 0;
    const min = budget.minAgreement ?? 1 - (budget.maxDropPoints ?? 0) / 100;
    if (agreement < min) reasons.push(`top-1 agreement with fp32 ${(agreement * 100).toFixed(2)}% is below ${(min * 100).toFixed(2)}%`);
  }
  return { verdict: reasons.length ? { status: 'failed', reasons } : { status: 'passed' }, judgedOn };
}

function pickRecommended(profile: HardwareProfile, variants: readonly Omit<CompressedVariant, 'recommended' | 'onParetoFront'>[]): string | null {
  const passing = variants.filter((v) => v.verdict.status === 'passed');
  const bySize = (a: (typeof passing)[number], b: (typeof passing)[number]) => a.evaluation.size.bytes - b.evaluation.size.bytes;
  const byLatency = (a: (typeof passing)[number], b: (typeof passing)[number]) => a.evaluation.latencyMs.median - b.evaluation.latencyMs.median;
  passing.sort((a, b) => (profile.objective === 'size' ? bySize(a, b) || byLatency(a, b) : byLatency(a, b) || bySize(a, b)));
  return passing[0]?.recipe.id ?? null;
}

/**
 * Tries every recipe the profile allows, evaluates each variant against the uncompressed model on
 * the team's data, judges it against the profile's budget, and marks the Pareto front and the
 * recommended variant. Variants outside the budget are returned too, with the reasons.
 */
export async function compressForProfile(
  source: Uint8Array | string | onnx.IModelProto,
  profile: HardwareProfile,
  datasets: CompressDatasets = {},
  options: CompressOptions = {},
): Promise<ProfileResult> {
  const [result] = await compressForProfiles(source, [profile], datasets, options);
  return result!;
}

/** Several profiles at once, sharing the baseline evaluation and identical variants between them. */
export async function compressForProfiles(
  source: Uint8Array | string | onnx.IModelProto,
  profiles: readonly HardwareProfile[],
  datasets: CompressDatasets = {},
  options: CompressOptions = {},
): Promise<ProfileResult[]> {
  const model = await toModelProto(source);
  const original = encodeModelProto(model);
  const evalData = datasets.evaluation ?? datasets.calibration;
  const baselines = new Map<number, Evaluation>();
  const variantCache = new Map<string, { model: Uint8Array; reports: readonly PassReport[] }>();

  const evaluateAt = (bytes: Uint8Array, threads: number, onProgress?: (done: number, total: number) => void) =>
    evaluate(bytes, {
      dataset: evalData,
      reference: original,
      maxSamples: options.maxEvalSamples,
      latency: { threads, runs: options.latencyRuns ?? 50 },
      onProgress: onProgress ? (p) => onProgress(p.done, p.total) : undefined,
    });

  const results: ProfileResult[] = [];
  for (const profile of profiles) {
    let baseline = baselines.get(profile.threads);
    if (!baseline) {
      baseline = await evaluateAt(original, profile.threads);
      baselines.set(profile.threads, baseline);
    }
    const recipes = options.recipes ?? candidateRecipes(profile, { hasCalibration: datasets.calibration !== undefined });
    const judged: Omit<CompressedVariant, 'recommended' | 'onParetoFront'>[] = [];
    for (const recipe of recipes) {
      const progress = (p: RecipeProgress | { step: 'evaluate'; done: number; total: number }) =>
        options.onProgress?.({ profile: profile.id, recipe: recipe.id, ...p });
      // Latency-aware steps decide per thread count, so threads are part of the cache key.
      const key = `${JSON.stringify(recipe.steps)}@${profile.threads}`;
      let built = variantCache.get(key);
      if (!built) {
        const run = await runRecipe(model, recipe, { calibration: datasets.calibration, threads: profile.threads, onProgress: progress });
        built = { model: encodeModelProto(run.model), reports: run.reports };
        variantCache.set(key, built);
      }
      const evaluation = await evaluateAt(built.model, profile.threads, (done, total) => progress({ step: 'evaluate', done, total }));
      judged.push({ recipe, model: built.model, evaluation, reports: built.reports, ...judge(profile, baseline, evaluation) });
    }
    const front = new Set(
      paretoFront(
        judged.map((v) => ({
          id: v.recipe.id,
          bytes: v.evaluation.size.bytes,
          latencyMs: v.evaluation.latencyMs.median,
          quality: v.evaluation.accuracy?.top1 ?? v.evaluation.fidelity?.top1Agreement ?? 0,
        })),
      ),
    );
    const recommended = pickRecommended(profile, judged);
    results.push({
      profile,
      baseline,
      variants: judged.map((v) => ({ ...v, onParetoFront: front.has(v.recipe.id), recommended: v.recipe.id === recommended })),
      recommended,
    });
  }
  return results;
}
