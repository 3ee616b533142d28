import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { evaluate } from '../src/eval/evaluate.js';
import type { Evaluation } from '../src/eval/types.js';
import { int64ToNumber, onnx } from '../src/ir/onnx.js';
import { readFloat32, readTensor } from '../src/ir/tensor-data.js';
import { buildNpy, buildZip, bytesOf } from './npz-builder.js';

/** Writes an .npz of float32 arrays (NumPy layout) and returns its path. */
export function writeFloatNpz(dir: string, name: string, arrays: Record<string, { shape: number[]; data: Float32Array }>): string {
  const file = path.join(dir, name);
  const members = Object.entries(arrays).map(([array, { shape, data }]) => ({
    name: `${array}.npy`,
    data: buildNpy({ descr: '<f4', shape, data: bytesOf(data) }),
  }));
  writeFileSync(file, buildZip(members));
  return file;
}

/** Accuracy and agreement with `reference` on a dataset, through `evaluate` (latency cut to one run). */
export async function score(model: Uint8Array, dataset: string, reference?: Uint8Array): Promise<Evaluation> {
  return evaluate(model, { dataset, ...(reference ? { reference } : {}), threads: 2, latency: { runs: 1, warmup: 0 } });
}

/** Lookups into a (quantized) graph by the names its nodes read and write. */
export class GraphView {
  readonly initializers: Map<string, onnx.ITensorProto>;
  readonly producers = new Map<string, onnx.INodeProto>();

  constructor(readonly model: onnx.IModelProto) {
    const graph = model.graph!;
    this.initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
    for (const node of graph.node ?? []) for (const out of node.output ?? []) this.producers.set(out, node);
  }

  nodes(opType: string): onnx.INodeProto[] {
    return (this.model.graph!.node ?? []).filter((n) => n.opType === opType);
  }

  /**
   * The float value of a tensor that is an initializer or computed from initializers by the
   * constant ops the quantizer emits (Cast of float16 scales, Mul of two scales).
   */
  constant(name: string): Float32Array {
    const init = this.initializers.get(name);
    if (init) return init.dataType === onnx.TensorProto.DataType.FLOAT || init.dataType === onnx.TensorProto.DataType.FLOAT16 ? readFloat32(init) : Float32Array.from(readTensor(init).data as ArrayLike<number>);
    const node = this.producers.get(name);
    if (node?.opType === 'Cast') return this.constant(node.input![0]!);
    if (node?.opType === 'Mul') {
      const [a, b] = [this.constant(node.input![0]!), this.constant(node.input![1]!)];
      const n = Math.max(a.length, b.length);
      return Float32Array.from({ length: n }, (_, i) => Math.fround(a[a.length === 1 ? 0 : i]! * b[b.length === 1 ? 0 : i]!));
    }
    throw new Error(`"${name}" is not a constant`);
  }

  /**
   * The DequantizeLinear producing `name`: its stored values (constants only; an activation's come
   * from a QuantizeLinear at run time), element type, scales, zero point and axis.
   */
  dequantized(name: string): { values: ArrayLike<number>; dataType: number; scales: Float32Array; zeroPoint: ArrayLike<number> | null; axis: number | null; dims: number[] } {
    const dq = this.producers.get(name);
    if (dq?.opType !== 'DequantizeLinear') throw new Error(`"${name}" is not produced by a DequantizeLinear`);
    const stored = this.initializers.get(dq.input![0]!);
    const zpTensor = dq.input?.[2] ? this.initializers.get(dq.input[2])! : undefined;
    const zp = zpTensor ? readTensor(zpTensor).data : null;
    const axis = (dq.attribute ?? []).find((a) => a.name === 'axis');
    return {
      values: stored ? (readTensor(stored).data as ArrayLike<number>) : [],
      dataType: stored?.dataType ?? zpTensor?.dataType ?? 0,
      scales: this.constant(dq.input![1]!),
      zeroPoint: zp as ArrayLike<number> | null,
      axis: axis ? int64ToNumber(axis.i) : null,
      dims: (stored?.dims ?? []).map(int64ToNumber),
    };
  }
}
