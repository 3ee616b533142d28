import { openNpz } from '../../data/npz.js';
import { validateDatasetForModel } from '../../data/validate-dataset.js';
import { CompressError } from '../../errors.js';
import { runtimeInputs } from '../../ir/graph-stats.js';
import type { onnx } from '../../ir/onnx.js';
import { describeValueInfo, type TensorInfo } from '../../ir/tensor-info.js';
import { ort } from './session.js';

export interface FeedBatch {
  readonly start: number;
  readonly count: number;
  readonly feeds: Record<string, ort.Tensor>;
}

export interface DatasetFeed {
  /** Samples the batches will cover. */
  readonly samples: number;
  /** Samples of the dataset left out (a partial last batch of a fixed-batch model, `maxSamples`). */
  readonly dropped: number;
  readonly batchSize: number;
  batches(): AsyncGenerator<FeedBatch, void, undefined>;
}

const DEFAULT_BATCH = 32;

export function modelInputs(model: onnx.IModelProto): TensorInfo[] {
  return runtimeInputs(model.graph ?? {}).map(describeValueInfo);
}

/** The batch size a model forces on axis 0, or null when its inputs leave it free. */
export function fixedBatch(inputs: readonly TensorInfo[]): number | null {
  const fixed = [...new Set(inputs.flatMap((i) => (typeof i.shape?.[0] === 'number' ? [i.shape[0]] : [])))];
  return fixed.length === 1 ? fixed[0]! : null;
}

/**
 * Streams an .npz through a model's inputs in batches (one array per input, same name and dtype).
 * Memory stays around one batch per input. A fixed-batch model gets exactly its batch per run, and a
 * partial last batch is dropped rather than padded (padding would skew calibration ranges).
 * Throws `dataset/mismatch` when the dataset cannot feed the model.
 */
export async function openFeed(model: onnx.IModelProto, npzPath: string, options: { batchSize?: number; maxSamples?: number }): Promise<DatasetFeed> {
  const inputs = modelInputs(model);
  const npz = await openNpz(npzPath);
  const validation = validateDatasetForModel(npz.arrays, { inputs });
  const fixed = fixedBatch(inputs);
  const batchSize = fixed ?? options.batchSize ?? DEFAULT_BATCH;
  const wanted = Math.min(validation.sampleCount, options.maxSamples ?? Infinity);
  const samples = fixed ? Math.floor(wanted / fixed) * fixed : wanted;
  if (samples === 0) {
    throw new CompressError('dataset/mismatch', 'quantize', `${npzPath} has ${validation.sampleCount} samples, fewer than the model's fixed batch of ${fixed}`);
  }
  return {
    samples,
    dropped: validation.sampleCount - samples,
    batchSize,
    async *batches() {
      const streams = inputs.map((input) => npz.batches(input.name, batchSize));
      try {
        for (let start = 0; start < samples; ) {
          const steps = await Promise.all(streams.map((s) => s.next()));
          const feeds: Record<string, ort.Tensor> = {};
          let count = 0;
          steps.forEach((step, i) => {
            if (step.done) throw new CompressError('dataset/invalid', 'quantize', `array "${inputs[i]!.name}" ended after ${start} samples`);
            const take = Math.min(step.value.count, samples - start);
            count = take;
            const rowSize = step.value.shape.slice(1).reduce((a, d) => a * d, 1);
            const data = take === step.value.count ? step.value.data : step.value.data.subarray(0, take * rowSize);
            feeds[inputs[i]!.name] = new ort.Tensor(inputs[i]!.elemType as 'float32', data as Float32Array, [take, ...step.value.shape.slice(1)]);
          });
          yield { start, count, feeds };
          start += count;
        }
      } finally {
        await Promise.all(streams.map((s) => s.return(undefined)));
      }
    },
  };
}
