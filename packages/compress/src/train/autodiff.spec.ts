import { describe, expect, it } from 'vitest';
import { isCompressError } from '../errors.js';
import { onnx } from '../ir/onnx.js';
import { checkGradients, floatFeed } from '../../test/finite-difference.js';
import { buildModelProto, DataType, floatTensor, int64Tensor, intAttr, intsAttr, node, valueInfo } from '../../test/onnx-builder.js';
import { seeded } from '../../test/pass-run.js';
import { appendGradients } from './autodiff.js';
import type { ort } from '../inspect/runtime.js';

const F = DataType.FLOAT;
const floatAttr = (name: string, f: number): onnx.IAttributeProto => ({ name, f, type: onnx.AttributeProto.AttributeType.FLOAT });
const stringAttr = (name: string, s: string): onnx.IAttributeProto => ({ name, s: new TextEncoder().encode(s), type: onnx.AttributeProto.AttributeType.STRING });

interface Case {
  name: string;
  nodes: onnx.INodeProto[];
  /** Differentiated inputs with their shapes (values uniform in offset ± scale). */
  inputs: Record<string, number[] | [number[], number] | [number[], number, number]>;
  initializers?: onnx.ITensorProto[];
  opset?: number;
}

function conv(attrs: onnx.IAttributeProto[], x: number[], w: number[], bias = true): Case {
  return {
    name: '',
    nodes: [node('Conv', bias ? ['x', 'w', 'b'] : ['x', 'w'], ['y'], attrs)],
    inputs: { x, w, ...(bias ? { b: [w[0]!] } : {}) },
  };
}

const CASES: Case[] = [
  ...[0, 1].flatMap((ta) =>
    [0, 1].map((tb): Case => ({
      name: `Gemm transA=${ta} transB=${tb} alpha/beta, bias [N]`,
      nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], [intAttr('transA', ta), intAttr('transB', tb), floatAttr('alpha', 0.7), floatAttr('beta', 1.3)])],
      inputs: { a: ta ? [4, 3] : [3, 4], b: tb ? [5, 4] : [4, 5], c: [5] },
    })),
  ),
  { name: 'Gemm bias [M,1]', nodes: [node('Gemm', ['a', 'b', 'c'], ['y'])], inputs: { a: [3, 4], b: [4, 5], c: [3, 1] } },
  { name: 'MatMul 2-D', nodes: [node('MatMul', ['a', 'b'], ['y'])], inputs: { a: [3, 4], b: [4, 2] } },
  { name: 'MatMul batched, B broadcast', nodes: [node('MatMul', ['a', 'b'], ['y'])], inputs: { a: [2, 3, 4], b: [4, 5] } },
  { ...conv([intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])], [2, 3, 5, 5], [4, 3, 3, 3]), name: 'Conv 3×3 pad 1' },
  { ...conv([intsAttr('strides', [2, 2]), intsAttr('pads', [0, 1, 1, 0])], [2, 2, 6, 7], [3, 2, 3, 3]), name: 'Conv stride 2, asymmetric pads' },
  { ...conv([intsAttr('dilations', [2, 2]), intsAttr('pads', [2, 2, 2, 2])], [1, 2, 6, 6], [3, 2, 3, 3]), name: 'Conv dilation 2' },
  { ...conv([intAttr('group', 2), intsAttr('strides', [2, 1])], [2, 4, 6, 5], [6, 2, 2, 2]), name: 'Conv group 2, stride (2,1)' },
  { ...conv([intAttr('group', 4), intsAttr('strides', [2, 2]), intsAttr('pads', [1, 1, 1, 1])], [2, 4, 7, 7], [4, 1, 3, 3]), name: 'Conv depthwise stride 2' },
  { ...conv([stringAttr('auto_pad', 'SAME_UPPER'), intsAttr('strides', [2, 2])], [1, 2, 6, 6], [2, 2, 3, 3], false), name: 'Conv SAME_UPPER stride 2, no bias' },
  { name: 'Relu', nodes: [node('Relu', ['x'], ['y'])], inputs: { x: [2, 3, 4] } },
  {
    name: 'Clip (min, max inputs)',
    nodes: [node('Clip', ['x', 'lo', 'hi'], ['y'])],
    inputs: { x: [[2, 10], 2] },
    initializers: [floatTensor('lo', [], () => -1), floatTensor('hi', [], () => 0.8)],
  },
  { name: 'Sigmoid', nodes: [node('Sigmoid', ['x'], ['y'])], inputs: { x: [[3, 5], 3] } },
  { name: 'HardSwish', nodes: [node('HardSwish', ['x'], ['y'])], inputs: { x: [[4, 8], 5] }, opset: 14 },
  { name: 'Softmax axis 1', nodes: [node('Softmax', ['x'], ['y'], [intAttr('axis', 1)])], inputs: { x: [[3, 6], 2] } },
  { name: 'Softmax 3-D last axis', nodes: [node('Softmax', ['x'], ['y'])], inputs: { x: [[2, 3, 4], 2] } },
  { name: 'LogSoftmax', nodes: [node('LogSoftmax', ['x'], ['y'], [intAttr('axis', -1)])], inputs: { x: [[3, 6], 2] } },
  { name: 'Softmax opset 11 (coerced to 2-D)', nodes: [node('Softmax', ['x'], ['y'], [intAttr('axis', 1)])], inputs: { x: [[2, 3, 4], 2] }, opset: 11 },
  { name: 'MaxPool 2×2 stride 2', nodes: [node('MaxPool', ['x'], ['y'], [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])])], inputs: { x: [2, 3, 4, 6] } },
  {
    name: 'MaxPool 3×3 stride 2 pad 1 (overlapping)',
    nodes: [node('MaxPool', ['x'], ['y'], [intsAttr('kernel_shape', [3, 3]), intsAttr('strides', [2, 2]), intsAttr('pads', [1, 1, 1, 1])])],
    inputs: { x: [1, 2, 5, 5] },
  },
  { name: 'AveragePool 2×2 stride 2', nodes: [node('AveragePool', ['x'], ['y'], [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])])], inputs: { x: [2, 3, 4, 4] } },
  ...[0, 1].map((include): Case => ({
    name: `AveragePool 3×3 stride 2 pad 1 count_include_pad=${include}`,
    nodes: [node('AveragePool', ['x'], ['y'], [intsAttr('kernel_shape', [3, 3]), intsAttr('strides', [2, 2]), intsAttr('pads', [1, 1, 1, 1]), intAttr('count_include_pad', include)])],
    inputs: { x: [1, 2, 5, 6] },
  })),
  {
    name: 'Pad constant (NCHW spatial, asymmetric) → Mul',
    nodes: [node('Pad', ['x', 'pads', 'v'], ['p']), node('Mul', ['p', 'p'], ['y'])],
    inputs: { x: [2, 3, 3, 4] },
    initializers: [int64Tensor('pads', [0, 0, 0, 1, 0, 0, 1, 2]), floatTensor('v', [], () => 0.3)],
  },
  {
    name: 'Pad constant, no value, every axis',
    nodes: [node('Pad', ['x', 'pads'], ['p']), node('Sigmoid', ['p'], ['y'])],
    inputs: { x: [2, 3] },
    initializers: [int64Tensor('pads', [1, 0, 0, 2])],
  },
  { name: 'GlobalAveragePool', nodes: [node('GlobalAveragePool', ['x'], ['y'])], inputs: { x: [2, 3, 3, 4] } },
  { name: 'Flatten', nodes: [node('Flatten', ['x'], ['f'], [intAttr('axis', 1)]), node('Mul', ['f', 'f'], ['y'])], inputs: { x: [2, 3, 2, 2] } },
  {
    name: 'Reshape',
    nodes: [node('Reshape', ['x', 'shape'], ['r']), node('Sigmoid', ['r'], ['y'])],
    inputs: { x: [2, 3, 4] },
    initializers: [int64Tensor('shape', [0, -1])],
  },
  { name: 'Add broadcast [3,1,1]', nodes: [node('Add', ['a', 'b'], ['y'])], inputs: { a: [2, 3, 2, 2], b: [3, 1, 1] } },
  { name: 'Mul broadcast (both operands)', nodes: [node('Mul', ['a', 'b'], ['y'])], inputs: { a: [2, 1, 4], b: [3, 1] } },
  { name: 'Sub broadcast', nodes: [node('Sub', ['a', 'b'], ['y'])], inputs: { a: [2, 3], b: [3] } },
  { name: 'Div broadcast', nodes: [node('Div', ['a', 'b'], ['y'])], inputs: { a: [2, 3], b: [[1, 3], 0.5, 1.5] } },
  {
    name: 'BatchNormalization (inference; X, scale, bias)',
    nodes: [node('BatchNormalization', ['x', 's', 'b', 'mean', 'var'], ['y'], [floatAttr('epsilon', 1e-3)])],
    inputs: { x: [2, 3, 2, 2], s: [3], b: [3] },
    initializers: [floatTensor('mean', [3], (i) => 0.1 * i), floatTensor('var', [3], (i) => 0.5 + i)],
  },
  {
    name: 'LeNet-like chain: Conv → Relu → MaxPool → Flatten → Gemm → Clip',
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['c'], [intsAttr('pads', [1, 1, 1, 1])]),
      node('Relu', ['c'], ['r']),
      node('MaxPool', ['r'], ['p'], [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])]),
      node('Flatten', ['p'], ['f']),
      node('Gemm', ['f', 'fw', 'fb'], ['g'], [intAttr('transB', 1)]),
      node('Clip', ['g', 'lo'], ['y']),
    ],
    inputs: { x: [2, 1, 4, 4], w: [3, 1, 3, 3], b: [3], fw: [5, 12], fb: [5] },
    initializers: [floatTensor('lo', [], () => -0.5)],
  },
];

function buildCase(c: Case, seed: number): { model: onnx.ModelProto; feeds: Record<string, ort.Tensor> } {
  const random = seeded(seed);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, spec] of Object.entries(c.inputs)) {
    const [dims, scale, offset] = typeof spec[0] === 'number' ? [spec as number[], 1, 0] : (spec as [number[], number, number?]);
    feeds[name] = floatFeed(dims, random, scale, offset ?? 0);
  }
  const model = buildModelProto({
    nodes: c.nodes,
    inputs: Object.entries(feeds).map(([name, t]) => valueInfo(name, F, [...t.dims])),
    outputs: [valueInfo('y', F, null)],
    initializers: c.initializers ?? [],
    opset: c.opset ?? 13,
  });
  return { model, feeds };
}

describe('appendGradients against central finite differences', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const { model, feeds } = buildCase(c, 100 + i);
    const check = await checkGradients(model, feeds, Object.keys(c.inputs));
    for (const [input, err] of Object.entries(check.relativeError)) expect(err, `${input}: relative error ${err}`).toBeLessThan(1e-2);
    expect(check.checkedElements).toBeGreaterThan(0);
  });
});

describe('appendGradients refusals', () => {
  it('names every op on the path without a rule', async () => {
    const { model, feeds } = buildCase({ name: '', nodes: [node('Tanh', ['x'], ['t']), node('Erf', ['t'], ['e']), node('Relu', ['e'], ['y'])], inputs: { x: [2, 3] } }, 1);
    const err = await appendGradients(model, { wrt: ['x'], seeds: { y: 'dy' }, probeFeeds: feeds }).catch((e: unknown) => e);
    expect(isCompressError(err, 'train/unsupported_op')).toBe(true);
    expect((err as Error).message).toMatch(/Tanh, Erf/);
  });

  it('ignores unsupported ops off the differentiated path', async () => {
    const { model, feeds } = buildCase({ name: '', nodes: [node('Tanh', ['x'], ['t']), node('Mul', ['t', 'w'], ['y'])], inputs: { x: [2, 3], w: [2, 3] } }, 2);
    const { gradients } = await appendGradients(model, { wrt: ['w'], seeds: { y: 'dy' }, probeFeeds: feeds });
    expect(gradients.has('w')).toBe(true);
  });

  it('rejects unknown values', async () => {
    const { model, feeds } = buildCase({ name: '', nodes: [node('Relu', ['x'], ['y'])], inputs: { x: [2, 3] } }, 3);
    await expect(appendGradients(model, { wrt: ['nope'], seeds: { y: 'dy' }, probeFeeds: feeds })).rejects.toMatchObject({ code: 'train/invalid_options' });
  });
});
