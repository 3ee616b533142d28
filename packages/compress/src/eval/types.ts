import type { GraphOptimizationLevel } from './session.js';

export type EvalPhase = 'accuracy' | 'fidelity' | 'latency';

export interface EvaluateOptions {
  /**
   * An .npz with one array per model input (same name, dtype and non-batch dims) and optionally
   * an int64/int32 `labels` array (negative = unlabeled). Without it, inputs are synthesized.
   */
  dataset?: string;
  /** The uncompressed model (bytes or path); enables `fidelity`. Fed the very same batches. */
  reference?: Uint8Array | string;
  /** Which output to score. @defaultValue the first graph output */
  outputName?: string;
  /** Cap on samples from the dataset (or on `syntheticSamples`). @defaultValue all */
  maxSamples?: number;
  /**
   * Samples per run in the accuracy/fidelity pass. A model with a fixed batch dim is always fed
   * that batch (the last one zero-padded, padding rows ignored); another value is an error.
   * @defaultValue the fixed batch, else 32
   */
  batchSize?: number;
  latency?: {
    /** @defaultValue 50 */
    runs?: number;
    /** @defaultValue 5 */
    warmup?: number;
    /** @defaultValue 1, or the model's fixed batch */
    batch?: number;
    /** Intra-op threads. @defaultValue 1 */
    threads?: number;
  };
  /**
   * Intra-op threads for the accuracy/fidelity pass.
   * @defaultValue 1 — figures then do not depend on the host; raise it for throughput.
   */
  threads?: number;
  /** @defaultValue 'all' */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Samples to generate when there is no dataset (see `syntheticInputs`). @defaultValue 64 */
  syntheticSamples?: number;
  /** Seed for synthetic inputs. @defaultValue 0 */
  seed?: number;
  /**
   * Called after every batch of the data pass (phase `fidelity` when a reference is given, else
   * `accuracy`; counts are samples) and after every latency run (warm-up included).
   */
  onProgress?: (progress: { phase: EvalPhase; done: number; total: number }) => void;
}

/** What `evaluate` measured. Plain JSON; versioned because it is stored and sent to the API. */
export interface Evaluation {
  v: 1;
  /** Samples run through the model in the accuracy/fidelity pass. */
  samples: number;
  inputsSource: 'dataset' | 'synthetic';
  /**
   * Against the dataset's labels; null without a `labels` array or when every label is negative.
   * `top5` is null for outputs of 5 or fewer classes.
   */
  accuracy: { top1: number; top5: number | null; labeled: number } | null;
  /** Candidate vs reference on the same samples; null without a reference. */
  fidelity: { top1Agreement: number; meanCosine: number; maxAbsDiff: number; samples: number } | null;
  /** The serialized model (external-data files not included) and its gzip -6 size. */
  size: { bytes: number; gzipBytes: number };
  parameterCount: number;
  /** Per run at batch 1 or the fixed batch, as `inspectModel` counts them; null when not countable. */
  macs: number | null;
  latencyMs: { median: number; p95: number; mean: number; runs: number; batch: number; threads: number };
  /**
   * Resident-set growth of the process from just before the first evaluation session is created
   * to the end of the latency runs (see `RssPeakMonitor`): an estimate, process-wide.
   */
  peakRssBytes: number;
  outputName: string;
}
