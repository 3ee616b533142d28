import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const FIXTURES = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
export const LENET = path.join(FIXTURES, 'models/mnist-lenet5/model.onnx');

const floatTensor = (name: string, dims: (number | string)[]) =>
  onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });

/**
 * `y = op_k(…op_1(x))` on `x` [batch, width] float32, e.g. `['Abs', 'Sqrt']` (finite everywhere) or `['Sqrt']`
 * (NaN on negative inputs, finite on the health check's generated inputs in [0, 1]).
 */
export function unaryChain(ops: string[], width = 4): Uint8Array {
  const node = ops.map((op, i) => ({ opType: op, input: [i === 0 ? 'x' : `t${i}`], output: [i === ops.length - 1 ? 'y' : `t${i + 1}`], name: `n${i}` }));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'edgefleet-agent-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: ops.join('-'), node, input: [floatTensor('x', ['batch', width])], output: [floatTensor('y', ['batch', width])] },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** A seeded PRNG (mulberry32) for reproducible perturbations and inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The LeNet fixture with uniform noise of ±`scale` × (each weight's magnitude + the layer's mean magnitude) added to
 * every float initializer: a "new version" that mostly, but not always, agrees with the original.
 */
export function perturbedLenet(scale: number, seed = 1): Uint8Array {
  const model = onnx.ModelProto.decode(fs.readFileSync(LENET));
  const rand = prng(seed);
  for (const init of model.graph!.initializer!) {
    if (init.dataType !== onnx.TensorProto.DataType.FLOAT) continue;
    let values: Float32Array;
    if (init.rawData && init.rawData.length > 0) {
      const raw = init.rawData;
      values = new Float32Array(raw.length / 4);
      new Uint8Array(values.buffer).set(raw);
    } else values = Float32Array.from(init.floatData ?? []);
    const mean = values.reduce((a, v) => a + Math.abs(v), 0) / Math.max(1, values.length);
    for (let i = 0; i < values.length; i++) values[i] = values[i]! + (rand() * 2 - 1) * scale * (Math.abs(values[i]!) + mean);
    init.rawData = new Uint8Array(values.buffer);
    init.floatData = [];
  }
  return onnx.ModelProto.encode(model).finish();
}

/** The first `n` MNIST t10k test images as LeNet inputs (pixel/255, [1,1,28,28] each). */
export function mnistImages(n: number): Float32Array[] {
  const raw = gunzipSync(fs.readFileSync(path.join(FIXTURES, 'data/mnist/t10k-images-idx3-ubyte.gz')));
  const out: Float32Array[] = [];
  for (let k = 0; k < n; k++) out.push(Float32Array.from(raw.subarray(16 + k * 784, 16 + (k + 1) * 784), (b) => b / 255));
  return out;
}

/** The labels of the first `n` MNIST t10k test images. */
export function mnistLabels(n: number): number[] {
  const raw = gunzipSync(fs.readFileSync(path.join(FIXTURES, 'data/mnist/t10k-labels-idx1-ubyte.gz')));
  return Array.from(raw.subarray(8, 8 + n));
}
