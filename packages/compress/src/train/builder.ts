import { attr } from '../ir/attributes.js';
import type { GraphIndex } from '../ir/graph.js';
import { onnx } from '../ir/onnx.js';
import { makeTensor } from '../ir/tensor-data.js';

const DT = onnx.TensorProto.DataType;

/**
 * Appends nodes and constant initializers to a graph under construction, with names reserved in
 * the graph's `GraphIndex` so nothing collides with the forward graph.
 */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly constants = new Map<string, string>();

  constructor(
    private readonly index: GraphIndex,
    private readonly prefix: string,
  ) {}

  name(base: string): string {
    return this.index.uniqueName(`${this.prefix}${base.replace(/[^A-Za-z0-9_.]/g, '_')}`);
  }

  /** One node; returns its output names (`outputs` of them). */
  ops(opType: string, inputs: readonly string[], attributes: readonly onnx.IAttributeProto[] = [], outputs = 1): string[] {
    const names = Array.from({ length: outputs }, (_, i) => this.name(`${opType}_${i}`));
    this.nodes.push(onnx.NodeProto.create({ opType, input: [...inputs], output: names, attribute: [...attributes], name: this.name(`${opType}_node`), domain: '' }));
    return names;
  }

  op(opType: string, inputs: readonly string[], attributes: readonly onnx.IAttributeProto[] = []): string {
    return this.ops(opType, inputs, attributes, 1)[0]!;
  }

  /** An int64 initializer (1-D unless `scalar`), shared between callers asking for the same values. */
  int64(values: readonly number[], scalar = false): string {
    const key = `i64:${scalar}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.name('const_i64');
      this.initializers.push(makeTensor(name, DT.INT64, scalar ? [] : [values.length], BigInt64Array.from(values.map(BigInt))));
      this.constants.set(key, name);
    }
    return name;
  }

  /** A float32 initializer: a scalar for one number, else with `dims` (default 1-D). */
  float(values: number | readonly number[] | Float32Array, dims?: readonly number[]): string {
    const data = typeof values === 'number' ? Float32Array.of(values) : Float32Array.from(values);
    const shape = dims ?? (typeof values === 'number' ? [] : [data.length]);
    const key = data.length <= 16 ? `f32:${shape.join('x')}:${Array.from(data).join(',')}` : undefined;
    let name = key ? this.constants.get(key) : undefined;
    if (!name) {
      name = this.name('const_f32');
      this.initializers.push(makeTensor(name, DT.FLOAT, shape, data));
      if (key) this.constants.set(key, name);
    }
    return name;
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.op('ReduceSum', [x, this.int64(axes)], [attr.int('keepdims', keepdims ? 1 : 0)]);
  }

  /** `x` reshaped to the runtime shape of `like`. */
  reshapeLike(x: string, like: string): string {
    return this.op('Reshape', [x, this.op('Shape', [like])]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], [attr.ints('perm', perm)]);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
}
