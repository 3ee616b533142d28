import { gzipSync } from 'node:zlib';
import { inspectModel } from '../inspect/inspect-model.js';
import { measureLatency, resolveLatencyPlan } from './latency.js';
import { RssPeakMonitor } from './memory.js';
import { AccuracyAccumulator, FidelityAccumulator } from './metrics.js';
import { readModelBytes } from './model-io.js';
import { positiveInteger } from './options.js';
import { runModelOnDataset, type InputSource } from './run-dataset.js';
import type { EvaluateOptions, Evaluation } from './types.js';

const DEFAULT_SYNTHETIC_SAMPLES = 64;

/**
 * Measures a model: accuracy against dataset labels, fidelity against a reference model on the
 * same batches, size, parameters and MACs, single-input latency and memory growth. The dataset is
 * streamed batch by batch, never loaded whole.
 *
 * @throws CompressError `dataset/mismatch` when the dataset cannot feed the model (or the
 *   reference), `eval/invalid_options`, `eval/unsupported_model` (no per-sample output axis,
 *   inputs that cannot be synthesized), `eval/reference_mismatch`, `model/runtime_rejected`,
 *   `eval/run_failed`.
 */
export async function evaluate(model: Uint8Array | string, options: EvaluateOptions = {}): Promise<Evaluation> {
  const inspection = await inspectModel(model);
  const bytes = await readModelBytes(model);
  // Check latency options before the (long) data pass rather than after it.
  const latencyPlan = resolveLatencyPlan(inspection.inputs, options.latency);
  const source: InputSource =
    options.dataset ??
    { synthetic: positiveInteger('syntheticSamples', options.syntheticSamples, DEFAULT_SYNTHETIC_SAMPLES), seed: options.seed ?? 0 };
  const dataPhase = options.reference === undefined ? 'accuracy' : 'fidelity';
  const accuracy = new AccuracyAccumulator();
  const fidelity = new FidelityAccumulator();

  const monitor = new RssPeakMonitor();
  let peakRssBytes: number;
  let run: Awaited<ReturnType<typeof runModelOnDataset>>;
  let latency: Awaited<ReturnType<typeof measureLatency>>;
  try {
    run = await runModelOnDataset(
      model,
      source,
      {
        ...(options.reference === undefined ? {} : { reference: options.reference }),
        ...(options.outputName === undefined ? {} : { outputName: options.outputName }),
        ...(options.maxSamples === undefined ? {} : { maxSamples: options.maxSamples }),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.threads === undefined ? {} : { threads: options.threads }),
        ...(options.graphOptimizationLevel === undefined ? {} : { graphOptimizationLevel: options.graphOptimizationLevel }),
      },
      (batch) => {
        monitor.sample();
        const { data, cols } = batch.output;
        if (batch.labels) accuracy.add(data, batch.count, cols, batch.labels);
        if (batch.reference) fidelity.add(data, batch.reference.data, batch.count, cols);
        options.onProgress?.({ phase: dataPhase, done: batch.start + batch.count, total: batch.total });
      },
    );
    latency = await measureLatency(model, inspection.inputs, {
      ...latencyPlan,
      ...(options.graphOptimizationLevel === undefined ? {} : { graphOptimizationLevel: options.graphOptimizationLevel }),
      onRun: (done, total) => {
        monitor.sample();
        options.onProgress?.({ phase: 'latency', done, total });
      },
    });
  } finally {
    peakRssBytes = monitor.stop();
  }

  const scored = accuracy.result();
  const agreement = fidelity.result();
  return {
    v: 1,
    samples: run.samples,
    inputsSource: run.inputsSource,
    accuracy: run.hasLabels && scored.labeled > 0 ? { top1: scored.top1, top5: scored.top5, labeled: scored.labeled } : null,
    fidelity:
      options.reference === undefined
        ? null
        : { top1Agreement: agreement.top1Agreement, meanCosine: agreement.meanCosine, maxAbsDiff: agreement.maxAbsDiff, samples: agreement.samples },
    size: { bytes: bytes.length, gzipBytes: gzipSync(bytes).length },
    parameterCount: inspection.parameterCount,
    macs: inspection.macs,
    latencyMs: { ...latency },
    peakRssBytes,
    outputName: run.outputName,
  };
}
