import { openNpz, type NpzBatch } from '../data/npz.js';
import { LABELS_ARRAY, validateDatasetForModel } from '../data/validate-dataset.js';
import { CompressError } from '../errors.js';
import type { TensorInfo } from '../ir/tensor-info.js';
import { takeRows, toFloatArray, type HostElementType, type HostTensor } from './host-tensor.js';
import { fixedBatchOf, readModelIo, type ModelIo, type ModelSource } from './model-io.js';
import { positiveInteger, resolveBatchSize } from './options.js';
import { EvalSession, type EvalSessionOptions, type RunOutput } from './session.js';
import { syntheticBatch, syntheticSpecs } from './synthetic.js';

/** An .npz path (one array per model input, optional int `labels`), or generated inputs. */
export type InputSource = string | { synthetic: number; seed?: number };

export interface RunOnDatasetOptions extends EvalSessionOptions {
  /** A second model run on exactly the same batches (fidelity); same inputs required. */
  reference?: ModelSource;
  /** Which output to read. @defaultValue the first graph output */
  outputName?: string;
  /** Stop after this many samples. @defaultValue every sample */
  maxSamples?: number;
  /**
   * Samples per run. A model that fixes its batch dim is always fed exactly that many rows (the
   * last batch padded with zero rows that never reach `onBatch`); asking for another size is an
   * `eval/invalid_options` error. @defaultValue the fixed batch, else 32
   */
  batchSize?: number;
}

/** One output block with padding rows already dropped. */
export interface OutputRows {
  /** `rows × cols`, row-major: one row per sample, the sample's output flattened. */
  readonly data: Float32Array | Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Output dims as produced by the run (axis 0 counts padding rows). */
  readonly dims: readonly number[];
}

export interface DatasetBatch {
  /** Index of the batch's first sample in the dataset. */
  readonly start: number;
  /** Real samples in this batch (padding excluded). */
  readonly count: number;
  /** Samples this run will cover in all (after `maxSamples`). */
  readonly total: number;
  /** One label per sample (negative = unlabeled), or null without a `labels` array. */
  readonly labels: readonly number[] | null;
  readonly output: OutputRows;
  readonly reference: OutputRows | null;
}

export interface DatasetRun {
  inputsSource: 'dataset' | 'synthetic';
  samples: number;
  /** Rows per run as fed (the fixed batch for fixed-batch models). */
  batchSize: number;
  hasLabels: boolean;
  outputName: string;
  referenceOutputName: string | null;
}

const DEFAULT_BATCH = 32;
const DEFAULT_SEED = 0;

/**
 * Streams a dataset (or synthetic inputs) through a model, and optionally a reference model on
 * the same batches, handing each batch's output rows to `onBatch`. Memory stays around one batch
 * per input array however large the dataset. Sessions are released before this returns or throws.
 * Throws `dataset/mismatch` when the dataset cannot feed the model (or the reference).
 */
export async function runModelOnDataset(
  model: ModelSource,
  source: InputSource,
  options: RunOnDatasetOptions,
  onBatch: (batch: DatasetBatch) => void | Promise<void>,
): Promise<DatasetRun> {
  const maxSamples = positiveInteger('maxSamples', options.maxSamples, Number.POSITIVE_INFINITY);
  const io = await readModelIo(model);
  const refIo = options.reference === undefined ? undefined : await readModelIo(options.reference);
  const outputName = pickOutput(io, options.outputName);
  const referenceOutputName = refIo ? pickReferenceOutput(refIo, outputName) : null;
  const fixed = resolveFixedBatch(io, refIo);
  const batchSize = resolveBatchSize('batchSize', options.batchSize, fixed, DEFAULT_BATCH);
  const feed = await openInputs(source, io.inputs, refIo?.inputs, batchSize, fixed, maxSamples);

  const session = await EvalSession.create(model, options);
  let reference: EvalSession | undefined;
  try {
    if (options.reference !== undefined) reference = await EvalSession.create(options.reference, options);
    for await (const batch of feed.batches()) {
      const fedRows = fixed ?? batch.count;
      const output = outputRows(await session.run(batch.feeds, [outputName]), outputName, fedRows, batch.count, 'model');
      let referenceRows: OutputRows | null = null;
      if (reference && referenceOutputName !== null) {
        referenceRows = outputRows(await reference.run(batch.feeds, [referenceOutputName]), referenceOutputName, fedRows, batch.count, 'reference');
        if (referenceRows.cols !== output.cols) {
          throw new CompressError(
            'eval/reference_mismatch',
            'eval',
            `output "${outputName}" has ${output.cols} values per sample, the reference's "${referenceOutputName}" has ${referenceRows.cols}`,
          );
        }
      }
      await onBatch({ start: batch.start, count: batch.count, total: feed.total, labels: batch.labels, output, reference: referenceRows });
    }
  } finally {
    await Promise.all([session.release(), reference?.release()]);
  }
  return {
    inputsSource: typeof source === 'string' ? 'dataset' : 'synthetic',
    samples: feed.total,
    batchSize: fixed ?? batchSize,
    hasLabels: feed.hasLabels,
    outputName,
    referenceOutputName,
  };
}

function resolveFixedBatch(io: ModelIo, refIo: ModelIo | undefined): number | null {
  const fixed = fixedBatchOf(io.inputs);
  const refFixed = refIo ? fixedBatchOf(refIo.inputs) : null;
  if (fixed !== null && refFixed !== null && fixed !== refFixed) {
    throw new CompressError('eval/reference_mismatch', 'eval', `the model fixes batch ${fixed}, the reference ${refFixed}`);
  }
  return fixed ?? refFixed;
}

export function pickOutput(io: ModelIo, requested: string | undefined): string {
  if (requested !== undefined) {
    if (!io.outputs.some((o) => o.name === requested)) {
      throw new CompressError(
        'eval/invalid_options',
        'eval',
        `outputName "${requested}" is not a graph output (outputs: ${io.outputs.map((o) => `"${o.name}"`).join(', ')})`,
      );
    }
    return requested;
  }
  const first = io.outputs[0];
  if (!first) throw new CompressError('eval/unsupported_model', 'eval', 'the model has no graph outputs');
  return first.name;
}

/** The reference's output of the same name, else its first output (a compressed copy may rename). */
function pickReferenceOutput(refIo: ModelIo, outputName: string): string {
  return refIo.outputs.some((o) => o.name === outputName) ? outputName : pickOutput(refIo, undefined);
}

function outputRows(results: Record<string, RunOutput>, name: string, fedRows: number, count: number, which: string): OutputRows {
  const out = results[name];
  if (!out) throw new CompressError('eval/run_failed', 'eval', `${which} returned no value for output "${name}"`);
  const elements = out.dims.reduce((a, d) => a * d, 1);
  if (out.dims.length === 0 || out.dims[0] !== fedRows || elements === 0) {
    throw new CompressError(
      'eval/unsupported_model',
      'eval',
      `${which} output "${name}" has dims [${out.dims.join(',')}] for a batch of ${fedRows}; evaluation needs axis 0 to be the sample axis`,
    );
  }
  const cols = elements / fedRows;
  const data = toFloatArray(out.type, out.data, count * cols);
  if (!data) throw new CompressError('eval/unsupported_model', 'eval', `${which} output "${name}" is ${out.type}, not numeric`);
  return { data, rows: count, cols, dims: out.dims };
}

interface FeedBatch {
  start: number;
  count: number;
  feeds: Record<string, HostTensor>;
  labels: number[] | null;
}

interface OpenedInputs {
  total: number;
  hasLabels: boolean;
  batches(): AsyncGenerator<FeedBatch, void, undefined>;
}

/** Validates the source against the model (and reference) up front, before any session opens. */
async function openInputs(
  source: InputSource,
  inputs: readonly TensorInfo[],
  refInputs: readonly TensorInfo[] | undefined,
  batchSize: number,
  fixed: number | null,
  maxSamples: number,
): Promise<OpenedInputs> {
  if (typeof source !== 'string') {
    const specs = syntheticSpecs(inputs);
    if (refInputs) checkSameInputs(inputs, refInputs);
    const total = Math.min(positiveInteger('syntheticSamples', source.synthetic, 1), maxSamples);
    const seed = source.seed ?? DEFAULT_SEED;
    return {
      total,
      hasLabels: false,
      async *batches() {
        for (let start = 0; start < total; start += batchSize) {
          const count = Math.min(batchSize, total - start);
          yield { start, count, feeds: syntheticBatch(specs, start, count, seed, fixed ?? count), labels: null };
        }
      },
    };
  }

  const npz = await openNpz(source);
  const validation = validateDatasetForModel(npz.arrays, { inputs });
  if (refInputs) validateDatasetForModel(npz.arrays, { inputs: refInputs });
  const total = Math.min(validation.sampleCount, maxSamples);
  return {
    total,
    hasLabels: validation.hasLabels,
    async *batches() {
      const streams = inputs.map((input) => npz.batches(input.name, batchSize));
      const labelStream = validation.hasLabels ? npz.batches(LABELS_ARRAY, batchSize) : undefined;
      try {
        for (let start = 0; start < total; ) {
          const steps = await Promise.all(streams.map((stream) => stream.next()));
          const labelStep = await labelStream?.next();
          const first = steps[0];
          if (!first || first.done) throw new CompressError('dataset/invalid', 'eval', `dataset ended after ${start} of ${total} samples`);
          const count = Math.min(first.value.count, total - start);
          const feeds: Record<string, HostTensor> = {};
          steps.forEach((step, i) => {
            if (step.done || step.value.count !== first.value.count) {
              throw new CompressError('dataset/invalid', 'eval', `arrays fell out of step at sample ${start}`);
            }
            // validateDatasetForModel has checked that each array's dtype is its input's element type.
            feeds[inputs[i]!.name] = toFeed(step.value, inputs[i]!.elemType as HostElementType, count, fixed);
          });
          let labels: number[] | null = null;
          if (labelStep) {
            if (labelStep.done) throw new CompressError('dataset/invalid', 'eval', `labels ended after ${start} samples`);
            labels = Array.from(labelStep.value.data.subarray(0, count) as ArrayLike<number | bigint>, Number);
          }
          yield { start, count, feeds, labels };
          start += count;
        }
      } finally {
        // Closing early (maxSamples, an error) stops the inflate streams and their file handles.
        await Promise.all([...streams, ...(labelStream ? [labelStream] : [])].map((stream) => stream.return(undefined)));
      }
    },
  };
}

/** An npz batch as a feed: used as is when whole, else copied to `count` rows padded to `fixed`. */
function toFeed(batch: NpzBatch, type: HostElementType, count: number, fixed: number | null): HostTensor {
  const tensor: HostTensor = { type, dims: batch.shape, data: batch.data };
  const rows = fixed ?? count;
  return count === batch.count && rows === batch.count ? tensor : takeRows(tensor, count, rows);
}

function checkSameInputs(inputs: readonly TensorInfo[], refInputs: readonly TensorInfo[]): void {
  const describe = (list: readonly TensorInfo[]) => list.map((i) => `${i.name}:${i.elemType}`).sort().join(', ');
  if (describe(inputs) !== describe(refInputs)) {
    throw new CompressError('eval/reference_mismatch', 'eval', `the model takes ${describe(inputs)}, the reference ${describe(refInputs)}`);
  }
}
