import type { TensorInfo } from '../ir/tensor-info.js';
import { percentile } from './metrics.js';
import { fixedBatchOf, type ModelSource } from './model-io.js';
import { nonNegativeInteger, positiveInteger, resolveBatchSize } from './options.js';
import { withEvalSession, type GraphOptimizationLevel } from './session.js';
import { syntheticBatch, syntheticSpecs } from './synthetic.js';

export interface LatencyOptions {
  /** Timed runs. @defaultValue 50 */
  runs?: number;
  /** Untimed runs first (allocator arenas, caches). @defaultValue 5 */
  warmup?: number;
  /** Samples per run; a fixed-batch model always runs its fixed batch. @defaultValue 1, or the fixed batch */
  batch?: number;
  /** Intra-op threads. @defaultValue 1 */
  threads?: number;
  /** @defaultValue 'all' */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Seed of the random input. @defaultValue 1 */
  seed?: number;
  /** Called after every run, warm-up included (`total = warmup + runs`). */
  onRun?: (done: number, total: number) => void;
}

export interface LatencyResult {
  /** Milliseconds per run (`session.run` round trip, feeds prepared beforehand). */
  median: number;
  p95: number;
  mean: number;
  runs: number;
  batch: number;
  threads: number;
}

/**
 * Times `session.run` on one random input matching the input spec (symbolic dims 1), in a
 * dedicated session with `intraOpNumThreads = threads`, one inter-op thread and sequential
 * execution, using `performance.now()` around each awaited run.
 */
export async function measureLatency(model: ModelSource, inputs: readonly TensorInfo[], options: LatencyOptions = {}): Promise<LatencyResult> {
  const { runs, warmup, threads, batch } = resolveLatencyPlan(inputs, options);
  const feeds = syntheticBatch(syntheticSpecs(inputs), 0, batch, options.seed ?? 1);

  const times = await withEvalSession(model, { threads, graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' }, async (session) => {
    const total = warmup + runs;
    const measured: number[] = [];
    for (let i = 0; i < total; i += 1) {
      const begin = performance.now();
      await session.run(feeds);
      const elapsed = performance.now() - begin;
      if (i >= warmup) measured.push(elapsed);
      options.onRun?.(i + 1, total);
    }
    return measured;
  });

  const sorted = [...times].sort((a, b) => a - b);
  return {
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    runs,
    batch,
    threads,
  };
}

export interface LatencyPlan {
  runs: number;
  warmup: number;
  threads: number;
  batch: number;
}

/** Applies defaults and checks the options (`eval/invalid_options`) without running anything. */
export function resolveLatencyPlan(inputs: readonly TensorInfo[], options: LatencyOptions = {}): LatencyPlan {
  return {
    runs: positiveInteger('latency.runs', options.runs, 50),
    warmup: nonNegativeInteger('latency.warmup', options.warmup, 5),
    threads: positiveInteger('latency.threads', options.threads, 1),
    batch: resolveBatchSize('latency.batch', options.batch, fixedBatchOf(inputs), 1),
  };
}
