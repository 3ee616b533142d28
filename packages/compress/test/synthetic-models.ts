import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { onnx } from '../src/ir/onnx.js';
import { DataType, buildModelProto, floatTensor, intAttr, intsAttr, node, tensorAttr, valueInfo } from './onnx-builder.js';
import { randomFloats, seeded } from './pass-run.js';

/** How a synthetic model carries its weights. */
export type WeightStorage = 'initializer' | 'constant' | 'external';

export interface SyntheticSpec {
  readonly opset: number;
  readonly storage: WeightStorage;
  readonly seed?: number;
}

/** The IR version each opset first shipped with (what exporters of that era wrote). */
export const IR_FOR_OPSET: Readonly<Record<number, number>> = { 7: 3, 11: 6, 13: 7, 17: 8, 21: 10 };

export const SYNTHETIC_INPUT = 'input';
export const SYNTHETIC_OUTPUT = 'logits';
export const SYNTHETIC_CLASSES = 10;
/** Input is [N, 3, 32, 32] with a symbolic batch. */
export const SYNTHETIC_INPUT_DIMS = [3, 32, 32] as const;

function floatAttr(name: string, f: number): onnx.IAttributeProto {
  return { name, f, type: onnx.AttributeProto.AttributeType.FLOAT };
}

/**
 * A MobileNetV3-style block with seeded random weights:
 * Conv(3→16, 3×3, stride 2) → HardSwish → depthwise Conv(16, 3×3, group 16) →
 * squeeze-excitation (GlobalAveragePool → Conv 1×1 16→4 → Relu → Conv 1×1 4→16 → HardSigmoid → Mul) →
 * Conv 1×1 (16→16) → Add with the HardSwish output (residual) → GlobalAveragePool → Flatten → Gemm(16→10).
 *
 * Below opset 14 (no HardSwish op) HardSwish is written as `Mul(x, HardSigmoid(x; alpha=1/6, beta=0.5))`,
 * which is its definition. Weights are uniform with He-like scale so activations stay O(1) through the block.
 */
export function mobileNetV3Block(spec: SyntheticSpec): { model: onnx.ModelProto; weights: onnx.ITensorProto[] } {
  const random = seeded(spec.seed ?? 1234 + spec.opset);
  const weights: onnx.ITensorProto[] = [];
  const weight = (name: string, dims: number[], fanIn: number) => {
    const values = randomFloats(dims.reduce((a, b) => a * b, 1), random, Math.sqrt(6 / fanIn));
    weights.push(floatTensor(name, dims, (i) => values[i]!));
    return name;
  };
  const bias = (name: string, n: number) => {
    const values = randomFloats(n, random, 0.1);
    weights.push(floatTensor(name, [n], (i) => values[i]!));
    return name;
  };
  const C = 16;
  const R = 4;
  const nodes: onnx.INodeProto[] = [];
  const hardSwish = (x: string, out: string) => {
    if (spec.opset >= 14) {
      nodes.push(node('HardSwish', [x], [out]));
    } else {
      nodes.push(node('HardSigmoid', [x], [`${out}_gate`], [floatAttr('alpha', 1 / 6), floatAttr('beta', 0.5)]));
      nodes.push(node('Mul', [x, `${out}_gate`], [out]));
    }
  };
  nodes.push(
    node('Conv', [SYNTHETIC_INPUT, weight('stem.w', [C, 3, 3, 3], 27), bias('stem.b', C)], ['stem'], [
      intsAttr('kernel_shape', [3, 3]),
      intsAttr('strides', [2, 2]),
      intsAttr('pads', [1, 1, 1, 1]),
    ]),
  );
  hardSwish('stem', 'stem_act');
  nodes.push(
    node('Conv', ['stem_act', weight('dw.w', [C, 1, 3, 3], 9), bias('dw.b', C)], ['dw'], [
      intsAttr('kernel_shape', [3, 3]),
      intsAttr('pads', [1, 1, 1, 1]),
      intAttr('group', C),
    ]),
  );
  nodes.push(node('GlobalAveragePool', ['dw'], ['se_pool']));
  nodes.push(node('Conv', ['se_pool', weight('se.reduce.w', [R, C, 1, 1], C), bias('se.reduce.b', R)], ['se_reduce'], [intsAttr('kernel_shape', [1, 1])]));
  nodes.push(node('Relu', ['se_reduce'], ['se_relu']));
  nodes.push(node('Conv', ['se_relu', weight('se.expand.w', [C, R, 1, 1], R), bias('se.expand.b', C)], ['se_expand'], [intsAttr('kernel_shape', [1, 1])]));
  nodes.push(node('HardSigmoid', ['se_expand'], ['se_gate'], [floatAttr('alpha', 1 / 6), floatAttr('beta', 0.5)]));
  nodes.push(node('Mul', ['dw', 'se_gate'], ['se_out']));
  nodes.push(node('Conv', ['se_out', weight('project.w', [C, C, 1, 1], C), bias('project.b', C)], ['project'], [intsAttr('kernel_shape', [1, 1])]));
  nodes.push(node('Add', ['project', 'stem_act'], ['residual']));
  nodes.push(node('GlobalAveragePool', ['residual'], ['pool']));
  nodes.push(node('Flatten', ['pool'], ['flat'], [intAttr('axis', 1)]));
  nodes.push(
    node('Gemm', ['flat', weight('fc.w', [SYNTHETIC_CLASSES, C], C), bias('fc.b', SYNTHETIC_CLASSES)], [SYNTHETIC_OUTPUT], [intAttr('transB', 1)]),
  );

  const inputs = [valueInfo(SYNTHETIC_INPUT, DataType.FLOAT, ['N', ...SYNTHETIC_INPUT_DIMS])];
  const outputs = [valueInfo(SYNTHETIC_OUTPUT, DataType.FLOAT, ['N', SYNTHETIC_CLASSES])];
  const irVersion = IR_FOR_OPSET[spec.opset] ?? 8;
  if (spec.storage === 'constant') {
    const constants = weights.map((t) => node('Constant', [], [t.name!], [tensorAttr('value', t)]));
    return { model: buildModelProto({ nodes: [...constants, ...nodes], inputs, outputs, opset: spec.opset, irVersion }), weights };
  }
  // IR < 4 requires every initializer to be listed as a graph input too.
  const initInputs = irVersion < 4 ? weights.map((t) => valueInfo(t.name!, DataType.FLOAT, t.dims!.map(Number))) : [];
  const model = buildModelProto({ nodes, inputs: [...inputs, ...initInputs], outputs, initializers: weights, opset: spec.opset, irVersion });
  return { model, weights };
}

/**
 * Writes the model with every initializer moved to `<name>.bin` next to it (ONNX external data:
 * location/offset/length, 16-byte aligned like onnx.save_model does), and returns the model's path.
 */
export function writeWithExternalData(dir: string, name: string, model: onnx.ModelProto): string {
  const out = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const location = `${name}.bin`;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of out.graph!.initializer ?? []) {
    const data = tensor.rawData!;
    const pad = (16 - (offset % 16)) % 16;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(data);
    tensor.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(data.length) },
    ];
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.rawData = new Uint8Array(0);
    offset += data.length;
  }
  writeFileSync(path.join(dir, location), Buffer.concat(chunks));
  const file = path.join(dir, `${name}.onnx`);
  writeFileSync(file, onnx.ModelProto.encode(out).finish());
  return file;
}

/** `count` seeded uniform [-1, 1) samples shaped like the synthetic input. */
export function syntheticInputs(count: number, seed: number): { shape: number[]; data: Float32Array } {
  const shape = [count, ...SYNTHETIC_INPUT_DIMS];
  return { shape, data: randomFloats(shape.reduce((a, b) => a * b, 1), seeded(seed)) };
}
