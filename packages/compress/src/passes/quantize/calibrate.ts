import { RssPeakMonitor } from '../../eval/memory.js';
import { CompressError } from '../../errors.js';
import { encodeModelProto, cloneModelProto } from '../../ir/model-proto.js';
import { onnx } from '../../ir/onnx.js';
import {
  DEFAULT_HISTOGRAM_BINS,
  DEFAULT_PERCENTILE,
  entropyThreshold,
  Histogram,
  percentileRange,
  RangeObserver,
  type CalibrationMethod,
} from './calibrators.js';
import { openFeed } from './dataset.js';
import type { TensorRange } from './qdq.js';
import { withSession } from './session.js';

export interface CalibrateOptions {
  /** @defaultValue 'minmax' */
  readonly method?: CalibrationMethod;
  /** For `percentile`: keep values between the (100 − p)th and the p-th percentile. @defaultValue 99.99 */
  readonly percentile?: number;
  /** Histogram bins for `percentile` and `entropy`. @defaultValue 2048 */
  readonly bins?: number;
  /** Samples per run (a fixed-batch model always gets its batch). @defaultValue 32 */
  readonly batchSize?: number;
  /** Use at most this many samples of the dataset. @defaultValue all */
  readonly maxSamples?: number;
  /**
   * Tensors to calibrate. @defaultValue every node output and graph input (non-float ones are skipped)
   */
  readonly tensors?: readonly string[];
  /** Intra-op threads of the calibration session. @defaultValue 1 */
  readonly threads?: number;
  /** Called after every batch: pass 1 gathers ranges, pass 2 (percentile/entropy only) histograms. */
  readonly onBatch?: (progress: { pass: 1 | 2; done: number; total: number }) => void;
}

export interface TensorCalibration {
  /** Smallest and largest value seen. */
  readonly min: number;
  readonly max: number;
  /** The range the method chose (within [min, max]); quantization parameters come from it. */
  readonly range: TensorRange;
}

export interface CalibrationResult {
  readonly method: CalibrationMethod;
  readonly percentile: number | null;
  readonly samples: number;
  /** Dataset samples not used (`maxSamples`, or a partial batch of a fixed-batch model). */
  readonly droppedSamples: number;
  readonly tensors: ReadonlyMap<string, TensorCalibration>;
}

/**
 * Runs a dataset through the model and picks a quantization range for each activation tensor.
 *
 * Memory stays bounded whatever the dataset size: batches stream from the .npz through one
 * onnxruntime session of a copy of the model that lists the tensors as extra graph outputs; pass 1
 * keeps a running min/max per tensor and, for `percentile` and `entropy`, pass 2 fills one
 * fixed-range histogram per tensor (`bins` counts each). No activation outlives its batch.
 *
 * @param model a float model (the quantizer calibrates its prepared copy: BatchNorm and Pad folded).
 * @param npzPath an .npz with one array per model input, same name and dtype.
 * @throws CompressError `pass/invalid_options` for bad options, `dataset/mismatch` when the dataset cannot feed the model.
 */
export async function calibrate(model: onnx.IModelProto, npzPath: string, options: CalibrateOptions = {}): Promise<CalibrationResult> {
  const method = options.method ?? 'minmax';
  checkCalibrateOptions(options);
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  const bins = options.bins ?? DEFAULT_HISTOGRAM_BINS;
  const graph = model.graph ?? {};
  const tensors = [...new Set(options.tensors ?? defaultTensors(graph))];
  const known = new Set([...(graph.input ?? []).map((v) => v.name ?? ''), ...(graph.node ?? []).flatMap((n) => n.output ?? [])]);
  const unknown = tensors.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new CompressError('pass/invalid_options', 'quantize', `tensors to calibrate that no node produces: ${unknown.slice(0, 5).map((t) => `"${t}"`).join(', ')}`);
  }
  const augmented = cloneModelProto(model);
  const outputs = new Set((augmented.graph!.output ?? []).map((o) => o.name ?? ''));
  for (const name of tensors) {
    // onnxruntime accepts an extra graph output given by name only and infers its type.
    if (!outputs.has(name)) augmented.graph!.output!.push(onnx.ValueInfoProto.create({ name }));
  }
  const bytes = encodeModelProto(augmented);
  const feed = await openFeed(model, npzPath, { batchSize: options.batchSize, maxSamples: options.maxSamples });

  const observers = new Map(tensors.map((t) => [t, new RangeObserver()]));
  const histograms = new Map<string, Histogram>();
  await withSession(bytes, { threads: options.threads ?? 1 }, async (session) => {
    const fetch = tensors.filter((t) => session.outputNames.includes(t));
    const runPass = async (pass: 1 | 2, visit: (name: string, data: Float32Array) => void) => {
      for await (const batch of feed.batches()) {
        const results = await session.run(batch.feeds, fetch);
        for (const name of fetch) {
          const tensor = results[name]!;
          if (tensor.type === 'float32') visit(name, tensor.data as Float32Array);
        }
        options.onBatch?.({ pass, done: batch.start + batch.count, total: feed.samples });
      }
    };
    await runPass(1, (name, data) => observers.get(name)!.observe(data));
    if (method === 'minmax') return;
    for (const [name, observer] of observers) {
      if (observer.count === 0) continue;
      histograms.set(
        name,
        method === 'percentile'
          ? new Histogram(observer.min, observer.max, bins)
          : new Histogram(0, Math.max(Math.abs(observer.min), Math.abs(observer.max)), bins, true),
      );
    }
    await runPass(2, (name, data) => histograms.get(name)?.observe(data));
  });

  const result = new Map<string, TensorCalibration>();
  for (const [name, observer] of observers) {
    if (observer.count === 0 || !Number.isFinite(observer.min) || !Number.isFinite(observer.max)) continue;
    const observed = { min: observer.min, max: observer.max };
    const histogram = histograms.get(name);
    let range: TensorRange = observed;
    if (histogram && method === 'percentile') {
      const [min, max] = percentileRange(histogram, percentile, observed);
      range = { min, max };
    } else if (histogram && method === 'entropy') {
      // A non-negative tensor (after ReLU) uses all 256 levels of uint8 for [0, T]; a signed one half of them per side.
      const threshold = entropyThreshold(histogram, observed.min >= 0 ? 256 : 128);
      range = { min: Math.max(observed.min, -threshold), max: Math.min(observed.max, threshold) };
    }
    result.set(name, { ...observed, range });
  }
  return { method, percentile: method === 'percentile' ? percentile : null, samples: feed.samples, droppedSamples: feed.dropped, tensors: result };
}

function defaultTensors(graph: onnx.IGraphProto): string[] {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).map((v) => v.name ?? '').filter((n) => !initializers.has(n));
  return [...inputs, ...(graph.node ?? []).flatMap((n) => (n.output ?? []).filter(Boolean))];
}

export function checkCalibrateOptions(options: CalibrateOptions): void {
  const invalid = (detail: string) => new CompressError('pass/invalid_options', 'quantize', detail);
  const method = options.method ?? 'minmax';
  if (!['minmax', 'percentile', 'entropy'].includes(method)) throw invalid(`method must be 'minmax', 'percentile' or 'entropy', got ${JSON.stringify(method)}`);
  if (options.percentile !== undefined && !(options.percentile > 50 && options.percentile <= 100)) {
    throw invalid(`percentile must be in (50, 100], got ${options.percentile}`);
  }
  if (options.bins !== undefined && !(Number.isSafeInteger(options.bins) && options.bins >= 256)) throw invalid(`bins must be an integer ≥ 256, got ${options.bins}`);
  for (const key of ['batchSize', 'maxSamples', 'threads'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw invalid(`${key} must be a positive integer, got ${v}`);
  }
}

export interface CalibrationMemory {
  /** Peak growth of the process's resident set during calibration (see `RssPeakMonitor`). */
  readonly peakRssGrowthBytes: number;
  readonly samples: number;
  readonly result: CalibrationResult;
}

/**
 * Calibrates while watching the process's resident set: a check that memory does not grow with the
 * dataset (the figure should be about the same for 1,000 and 9,000 samples).
 */
export async function measureCalibrationMemory(model: onnx.IModelProto, npzPath: string, options: CalibrateOptions = {}): Promise<CalibrationMemory> {
  const monitor = new RssPeakMonitor();
  let result: CalibrationResult;
  let growth: number;
  try {
    result = await calibrate(model, npzPath, {
      ...options,
      onBatch: (progress) => {
        monitor.sample();
        options.onBatch?.(progress);
      },
    });
  } finally {
    growth = monitor.stop();
  }
  return { peakRssGrowthBytes: growth, samples: result.samples, result };
}
