export { evaluate } from './evaluate.js';
export type { EvaluateOptions, Evaluation, EvalPhase } from './types.js';
export {
  argmax,
  topK,
  cosine,
  percentile,
  FidelityAccumulator,
  AccuracyAccumulator,
  type FidelityResult,
  type AccuracyResult,
} from './metrics.js';
export { syntheticInputs, syntheticBatch, syntheticSpecs, type SyntheticInputSpec } from './synthetic.js';
export {
  runModelOnDataset,
  type InputSource,
  type RunOnDatasetOptions,
  type DatasetBatch,
  type DatasetRun,
  type OutputRows,
} from './run-dataset.js';
export { measureLatency, resolveLatencyPlan, type LatencyOptions, type LatencyResult, type LatencyPlan } from './latency.js';
export { RssPeakMonitor } from './memory.js';
export { EvalSession, withEvalSession, type EvalSessionOptions, type GraphOptimizationLevel, type RunOutput } from './session.js';
export type { HostTensor, HostElementType, HostArray, HostArrayMap } from './host-tensor.js';
export type { ModelSource } from './model-io.js';
