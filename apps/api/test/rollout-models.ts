import fs from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { LENET } from './device-fixtures.js';

const { onnx } = onnxProto;
type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

const floats = (name: string, dims: number[], values: number[]): Tensor =>
  onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });

/**
 * LeNet-5 (input `input` [N,1,28,28] → `output` [N,10] logits) with extra nodes after its logits, to make versions
 * that behave in known ways in the field. `tail` gets the logits' name and must produce `output`.
 */
async function lenetWith(tail: (logits: string) => { nodes: Node[]; initializers: Tensor[] }): Promise<Buffer> {
  const model = onnx.ModelProto.decode(await fs.readFile(LENET));
  const graph = model.graph!;
  const last = graph.node!.find((n) => n.output!.includes('output'))!;
  last.output = last.output!.map((o) => (o === 'output' ? 'logits' : o));
  const { nodes, initializers } = tail('logits');
  graph.node!.push(...nodes);
  graph.initializer!.push(...initializers);
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

const node = (opType: string, input: string[], output: string[], attribute: object[] = []) => onnx.NodeProto.create({ opType, input, output, name: `tail_${output[0]}`, attribute });

/** Same predictions as LeNet (logits doubled): a good new version. */
export const scaledLenet = () => lenetWith((l) => ({ nodes: [node('Mul', [l, 'two'], ['output'])], initializers: [floats('two', [], [2])] }));

/**
 * LeNet whose outputs are NaN whenever an input pixel is exactly 0 (`logits + 0·log(min(x))`, 0·-∞): finite on the
 * agent's generated health-check inputs (all in (0, 1)), NaN on real MNIST digits (black backgrounds).
 */
export const nanOnBlackPixelsLenet = () =>
  lenetWith((l) => ({
    nodes: [
      node('ReduceMin', ['input'], ['min_x'], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
      node('Log', ['min_x'], ['log_min_x']),
      node('Mul', ['log_min_x', 'zero'], ['nan_or_zero']),
      node('Add', [l, 'nan_or_zero'], ['output']),
    ],
    initializers: [floats('zero', [], [0])],
  }));

/** LeNet that never predicts the given classes (their logits pushed down by 1000). */
export const lenetWithout = (classes: number[]) =>
  lenetWith((l) => ({
    nodes: [node('Add', [l, 'suppress'], ['output'])],
    initializers: [floats('suppress', [10], Array.from({ length: 10 }, (_, i) => (classes.includes(i) ? -1000 : 0)))],
  }));
