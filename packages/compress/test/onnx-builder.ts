import { onnx } from '../src/ir/onnx.js';

const { DataType } = onnx.TensorProto;
export { DataType };

/** Shape entries: number = fixed, string = dim_param, null = unknown dim. */
export function valueInfo(name: string, elemType: number, dims: (number | string | null)[] | null): onnx.IValueInfoProto {
  const shape = dims === null ? undefined : { dim: dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType: { elemType, ...(shape ? { shape } : {}) } } };
}

export function floatTensor(name: string, dims: number[], fill: (i: number) => number = () => 0.5): onnx.ITensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: count }, (_, i) => fill(i));
  return { name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(values.buffer) };
}

export function int64Tensor(name: string, values: number[]): onnx.ITensorProto {
  return { name, dims: [values.length], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

export function node(opType: string, inputs: string[], outputs: string[], attributes: onnx.IAttributeProto[] = [], domain = ''): onnx.INodeProto {
  return { opType, input: inputs, output: outputs, attribute: attributes, name: `${opType}_${outputs[0]}`, domain };
}

export function intsAttr(name: string, ints: number[]): onnx.IAttributeProto {
  return { name, ints, type: onnx.AttributeProto.AttributeType.INTS };
}

export function intAttr(name: string, i: number): onnx.IAttributeProto {
  return { name, i, type: onnx.AttributeProto.AttributeType.INT };
}

export function tensorAttr(name: string, t: onnx.ITensorProto): onnx.IAttributeProto {
  return { name, t, type: onnx.AttributeProto.AttributeType.TENSOR };
}

export interface ModelSpec {
  nodes: onnx.INodeProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  initializers?: onnx.ITensorProto[];
  opset?: number;
  irVersion?: number;
}

export function buildModelProto(spec: ModelSpec): onnx.ModelProto {
  return onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 8,
    producerName: 'edgefleet-test',
    producerVersion: '0',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
    },
  });
}

export function buildModel(spec: ModelSpec): Uint8Array {
  return onnx.ModelProto.encode(buildModelProto(spec)).finish();
}
