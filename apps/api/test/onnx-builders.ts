import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** A structurally valid ModelProto that onnxruntime refuses: its only node is an op no domain defines. */
export function modelWithUnknownOp(): Uint8Array {
  const tensor = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'edgefleet-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'unknown-op',
      node: [{ opType: 'NotARealOp', input: ['x'], output: ['y'], name: 'n0' }],
      input: [tensor('x')],
      output: [tensor('y')],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Counts what the fixture declares, straight from the protobuf, to check the API's inspection against. */
export function protoFacts(bytes: Uint8Array) {
  const model = onnx.ModelProto.decode(bytes);
  const histogram: Record<string, number> = {};
  for (const node of model.graph!.node!) histogram[node.opType!] = (histogram[node.opType!] ?? 0) + 1;
  let params = 0;
  for (const init of model.graph!.initializer!) params += (init.dims ?? []).reduce<number>((n, d) => n * Number(d), 1);
  return { histogram, params, nodeCount: model.graph!.node!.length };
}
