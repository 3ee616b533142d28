import { cosine, FidelityAccumulator } from '../../eval/metrics.js';
import { encodeModelProto, cloneModelProto } from '../../ir/model-proto.js';
import { onnx } from '../../ir/onnx.js';
import { fixedBatch, modelInputs, openFeed } from './dataset.js';
import { ort, withSession } from './session.js';

export interface Fidelity {
  readonly agreement: number;
  readonly cosine: number;
  readonly samples: number;
}

/**
 * A fixed set of samples held in memory (at most `samples`, in small batches) with the float
 * model's outputs on them, so that many candidate models can be compared with it cheaply.
 */
export class FidelityProbe {
  private constructor(
    readonly batches: readonly Record<string, ort.Tensor>[],
    private readonly referenceOutputs: readonly Float32Array[],
    readonly outputName: string,
    readonly samples: number,
    /** Rows per latency run: 1, or the model's fixed batch. */
    readonly latencyBatch: number,
  ) {}

  static async create(reference: onnx.IModelProto, npzPath: string, samples: number, batchSize = 8): Promise<FidelityProbe> {
    const feed = await openFeed(reference, npzPath, { maxSamples: samples, batchSize });
    const batches: Record<string, ort.Tensor>[] = [];
    for await (const batch of feed.batches()) batches.push(cloneFeeds(batch.feeds));
    const outputName = reference.graph?.output?.[0]?.name ?? '';
    const outputs = await runAll(encodeModelProto(reference), batches, outputName);
    return new FidelityProbe(batches, outputs, outputName, feed.samples, fixedBatch(modelInputs(reference)) ?? 1);
  }

  /** Top-1 agreement and mean cosine of `model`'s first output with the float model's. */
  async measure(model: Uint8Array): Promise<Fidelity> {
    const outputs = await runAll(model, this.batches, this.outputName);
    const accumulator = new FidelityAccumulator();
    outputs.forEach((out, i) => {
      const ref = this.referenceOutputs[i]!;
      const rows = this.batches[i]![Object.keys(this.batches[i]!)[0]!]!.dims[0]!;
      accumulator.add(out, ref, rows, ref.length / rows);
    });
    const r = accumulator.result();
    return { agreement: r.top1Agreement, cosine: r.meanCosine, samples: r.samples };
  }

  /** The first sample alone (or the first fixed batch), as feeds for latency runs. */
  firstSample(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(this.batches[0]!)) {
      const row = tensor.dims.slice(1).reduce((a, d) => a * d, 1);
      const rows = this.latencyBatch;
      feeds[name] = new ort.Tensor(tensor.type as 'float32', (tensor.data as Float32Array).slice(0, rows * row), [rows, ...tensor.dims.slice(1)]);
    }
    return feeds;
  }

  /**
   * How far each listed tensor of `candidate` is from the same tensor of `reference` (1 − cosine over
   * the probe's samples): where along the graph the quantization noise comes from.
   */
  async tensorErrors(reference: onnx.IModelProto, candidate: onnx.IModelProto, tensors: readonly string[]): Promise<Map<string, number>> {
    const sums = new Map(tensors.map((t) => [t, { sum: 0, count: 0 }]));
    const refModel = withOutputs(reference, tensors);
    const candModel = withOutputs(candidate, tensors);
    await withSession(refModel, {}, async (refSession) =>
      withSession(candModel, {}, async (candSession) => {
        const fetch = tensors.filter((t) => refSession.outputNames.includes(t) && candSession.outputNames.includes(t));
        for (const batch of this.batches) {
          const [a, b] = [await refSession.run(batch, fetch), await candSession.run(batch, fetch)];
          for (const t of fetch) {
            const x = a[t]!;
            const y = b[t]!;
            if (x.type !== 'float32' || y.type !== 'float32') continue;
            const entry = sums.get(t)!;
            entry.sum += 1 - cosine(x.data as Float32Array, y.data as Float32Array);
            entry.count += 1;
          }
        }
      }),
    );
    return new Map([...sums].filter(([, e]) => e.count > 0).map(([t, e]) => [t, e.sum / e.count]));
  }
}

function cloneFeeds(feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new ort.Tensor(t.type as 'float32', (t.data as Float32Array).slice(), t.dims);
  return out;
}

async function runAll(model: Uint8Array, batches: readonly Record<string, ort.Tensor>[], outputName: string): Promise<Float32Array[]> {
  return withSession(model, {}, async (session) => {
    const outputs: Float32Array[] = [];
    for (const batch of batches) {
      const result = await session.run(batch, [outputName]);
      outputs.push(Float32Array.from(result[outputName]!.data as Float32Array));
    }
    return outputs;
  });
}

function withOutputs(model: onnx.IModelProto, tensors: readonly string[]): Uint8Array {
  const copy = cloneModelProto(model);
  const existing = new Set((copy.graph!.output ?? []).map((o) => o.name));
  for (const t of tensors) if (!existing.has(t)) copy.graph!.output!.push(onnx.ValueInfoProto.create({ name: t }));
  return encodeModelProto(copy);
}
