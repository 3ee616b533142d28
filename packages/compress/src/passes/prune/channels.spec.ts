import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../../test/expect-error.js';
import { buildModelProto, DataType, floatTensor, int64Tensor, intAttr, intsAttr, node, valueInfo } from '../../../test/onnx-builder.js';
import { expectPassInvariants } from '../../../test/pass-invariants.js';
import { expectClose, randomFloats, runModel, seeded } from '../../../test/pass-run.js';
import { zeroAlong, zeroConsumedChannels } from '../../../test/prune-oracle.js';
import { ort } from '../../inspect/runtime.js';
import { attr } from '../../ir/attributes.js';
import { cloneModelProto } from '../../ir/model-proto.js';
import type { onnx } from '../../ir/onnx.js';
import { readFloat32, readIntegers } from '../../ir/tensor-data.js';
import { tensorDims } from '../../ir/tensors.js';
import type { PrunedLayer } from './channels.js';
import { pruneChannels } from './index.js';

const random = seeded(42);
const weights = (name: string, dims: number[], scale = 0.5) => {
  const values = randomFloats(dims.reduce((a, b) => a * b, 1), random, scale);
  return floatTensor(name, dims, (i) => values[i]!);
};
const positive = (name: string, dims: number[]) => floatTensor(name, dims, () => 0.5 + random());
const feed = (name: string, dims: number[]) => ({ [name]: new ort.Tensor('float32', randomFloats(dims.reduce((a, b) => a * b, 1), random, 1), dims) });
const init = (model: onnx.IModelProto, name: string) => model.graph!.initializer!.find((t) => t.name === name)!;
const layers = (result: { report: { details: Record<string, unknown> } }) => result.report.details['layers'] as PrunedLayer[];
const pads1 = intsAttr('pads', [1, 1, 1, 1]);

/** x → Conv(3→6) → BatchNormalization → Relu → Conv(6→4) → y */
function convBnReluConv(): onnx.ModelProto {
  return buildModelProto({
    opset: 13,
    inputs: [valueInfo('x', DataType.FLOAT, ['n', 3, 8, 8])],
    outputs: [valueInfo('y', DataType.FLOAT, ['n', 4, 8, 8])],
    initializers: [
      weights('w1', [6, 3, 3, 3]), weights('b1', [6]),
      positive('scale', [6]), weights('shift', [6]), weights('mean', [6]), positive('var', [6]),
      weights('w2', [4, 6, 3, 3]), weights('b2', [4]),
    ],
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], [pads1]),
      node('BatchNormalization', ['c1', 'scale', 'shift', 'mean', 'var'], ['bn']),
      node('Relu', ['bn'], ['r']),
      node('Conv', ['r', 'w2', 'b2'], ['y'], [pads1]),
    ],
  });
}

/** x → Conv(1→4) → Relu → MaxPool → (Flatten | Reshape) → Gemm(16→5) → Relu → Gemm(5→3) → y */
function convFlattenGemm(flatten: 'Flatten' | number[]): onnx.ModelProto {
  const toMatrix = flatten === 'Flatten' ? [node('Flatten', ['p'], ['f'])] : [node('Reshape', ['p', 'shape'], ['f'])];
  return buildModelProto({
    opset: 13,
    inputs: [valueInfo('x', DataType.FLOAT, ['n', 1, 6, 6])],
    outputs: [valueInfo('y', DataType.FLOAT, ['n', 3])],
    initializers: [
      weights('w1', [4, 1, 3, 3]), weights('b1', [4]),
      weights('g1', [5, 16]), weights('c1', [5]),
      weights('g2', [5, 3]), weights('c2', [1, 3]),
      ...(flatten === 'Flatten' ? [] : [int64Tensor('shape', flatten)]),
    ],
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c'], [pads1]),
      node('Relu', ['c'], ['r']),
      node('MaxPool', ['r'], ['p'], [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [3, 3])]),
      ...toMatrix,
      node('Gemm', ['f', 'g1', 'c1'], ['h'], [intAttr('transB', 1)]),
      node('Relu', ['h'], ['hr']),
      node('Gemm', ['hr', 'g2', 'c2'], ['y']),
    ],
  });
}

describe(pruneChannels.name, () => {
  it('Conv → BN → Relu → Conv: removes filters, slices BN, shrinks the next Conv, and equals the zeroed original', async () => {
    const model = convBnReluConv();
    const sut = await expectPassInvariants(model, (m) => pruneChannels(m, { ratio: 0.5, norm: 'l1', ops: ['Conv'] }));
    const [layer] = layers(sut);
    expect(layers(sut)).toHaveLength(1);
    expect(layer).toMatchObject({ node: 'Conv_c1', channelsBefore: 6, channelsAfter: 3 });
    expect(layer!.removed).toHaveLength(3);
    expect(tensorDims(init(sut.model, 'w1'))).toEqual([3, 3, 3, 3]);
    for (const p of ['b1', 'scale', 'shift', 'mean', 'var']) expect(tensorDims(init(sut.model, p))).toEqual([3]);
    expect(tensorDims(init(sut.model, 'w2'))).toEqual([4, 3, 3, 3]);
    // The last Conv writes the graph output: never pruned.
    expect(sut.report.skipped).toEqual([{ node: 'Conv_y', reason: expect.stringMatching(/graph output/) }]);

    // Removed = the smallest L1 filters.
    const norms = Array.from({ length: 6 }, (_, f) => readFloat32(init(model, 'w1')).slice(f * 27, f * 27 + 27).reduce((a, v) => a + Math.abs(v), 0));
    const smallest = [...norms.keys()].sort((a, b) => norms[a]! - norms[b]!).slice(0, 3).sort();
    expect(layer!.removed).toEqual(smallest);

    const x = feed('x', [2, 3, 8, 8]);
    const pruned = (await runModel(sut.model, x))['y']!;
    // Oracle 1: the next Conv ignores the removed channels.
    expectClose(pruned, (await runModel(zeroConsumedChannels(model, sut), x))['y']!, 1e-5);
    // Oracle 2: the removed filters (and their BN affine terms) zeroed in the original.
    const zeroed = cloneModelProto(model);
    zeroed.graph!.initializer = zeroed.graph!.initializer!.map((t) => (['w1', 'b1', 'scale', 'shift'].includes(t.name!) ? zeroAlong(t, 0, layer!.removed) : t));
    expectClose(pruned, (await runModel(zeroed, x))['y']!, 1e-5);
  });

  it.each([
    ['Flatten', 'Flatten' as const, undefined],
    ['Reshape [-1, 16]', [-1, 16], [-1, 8]],
    ['Reshape [0, -1]', [0, -1], [0, -1]],
  ])('Conv → Relu → MaxPool → %s → Gemm: removes the channel × spatial columns and equals the zeroed original', async (_, flatten, newShape) => {
    const model = convFlattenGemm(flatten);
    const sut = await expectPassInvariants(model, (m) => pruneChannels(m, { ratio: 0.5, norm: 'l2' }));
    expect(layers(sut).map((l) => [l.node, l.channelsAfter])).toEqual([['Conv_c', 2], ['Gemm_h', 3]]);
    expect(tensorDims(init(sut.model, 'g1'))).toEqual([3, 8]); // 5 units × (4 channels · 2·2) → 3 × (2 · 2·2)
    expect(tensorDims(init(sut.model, 'c1'))).toEqual([3]);
    expect(tensorDims(init(sut.model, 'g2'))).toEqual([3, 3]);
    expect(tensorDims(init(sut.model, 'c2'))).toEqual([1, 3]);
    if (newShape) expect(readIntegers(init(sut.model, 'shape'))).toEqual(newShape);
    expect(sut.report.skipped.map((s) => s.node)).toEqual(['Gemm_y']);
    const x = feed('x', [3, 1, 6, 6]);
    expectClose((await runModel(sut.model, x))['y']!, (await runModel(zeroConsumedChannels(model, sut), x))['y']!, 1e-5);
  });

  it('refuses a Reshape with a hard-coded layout, and says why', async () => {
    const model = convFlattenGemm([3, 16]);
    const sut = await expectPassInvariants(model, (m) => pruneChannels(m, { ratio: 0.5, norm: 'l1' }));
    expect(layers(sut).map((l) => l.node)).toEqual(['Gemm_h']);
    expect(sut.report.skipped).toContainEqual({ node: 'Conv_c', reason: expect.stringMatching(/Reshape .*hard-coded shape \[3,16\]/) });
  });

  it('refuses residual Adds: Conv → Relu → Conv → Add(skip) leaves both layers as they were', async () => {
    const model = buildModelProto({
      opset: 13,
      inputs: [valueInfo('x', DataType.FLOAT, [1, 3, 5, 5])],
      outputs: [valueInfo('y', DataType.FLOAT, [1, 2, 5, 5])],
      initializers: [weights('w0', [4, 3, 3, 3]), weights('wa', [4, 4, 3, 3]), weights('wb', [2, 4, 1, 1])],
      nodes: [
        node('Conv', ['x', 'w0'], ['c0'], [pads1]),
        node('Relu', ['c0'], ['r0']),
        node('Conv', ['r0', 'wa'], ['ca'], [pads1]),
        node('Add', ['ca', 'r0'], ['sum']),
        node('Conv', ['sum', 'wb'], ['y']),
      ],
    });
    const err = await expectCompressError(() => pruneChannels(model, { ratio: 0.5, norm: 'l1' }), 'pass/refused');
    expect(err.message).toMatch(/Conv_c0: Add "Add_sum" combines these channels with another computed tensor/);
    expect(err.message).toMatch(/Conv_ca: Add "Add_sum"/);
    expect(err.message).toMatch(/Conv_y: its channels reach graph output/);
  });

  it('prunes through a depthwise chain (expand → Clip → depthwise ×2 multiplier → Clip → project)', async () => {
    const model = buildModelProto({
      opset: 13,
      inputs: [valueInfo('x', DataType.FLOAT, ['n', 2, 6, 6])],
      outputs: [valueInfo('y', DataType.FLOAT, ['n', 3, 6, 6])],
      initializers: [
        weights('we', [6, 2, 1, 1]), weights('be', [6]), floatTensor('lo', [], () => 0), floatTensor('hi', [], () => 6),
        weights('wd', [12, 1, 3, 3]), weights('bd', [12]), weights('wp', [3, 12, 1, 1]),
      ],
      nodes: [
        node('Conv', ['x', 'we', 'be'], ['e']),
        node('Clip', ['e', 'lo', 'hi'], ['ec']),
        node('Conv', ['ec', 'wd', 'bd'], ['d'], [intAttr('group', 6), pads1]),
        node('Clip', ['d', 'lo', 'hi'], ['dc']),
        node('Conv', ['dc', 'wp'], ['y']),
      ],
    });
    const sut = await expectPassInvariants(model, (m) => pruneChannels(m, { ratio: 0.5, norm: 'l1' }));
    expect(layers(sut)).toHaveLength(1);
    expect(layers(sut)[0]!.rewired).toEqual(['Clip_ec', 'Conv_d', 'Clip_dc', 'Conv_y']);
    const depthwise = sut.model.graph!.node!.find((n) => n.name === 'Conv_d')!;
    expect(depthwise.attribute!.find((a) => a.name === 'group')!.i).toBe(3);
    expect(tensorDims(init(sut.model, 'wd'))).toEqual([6, 1, 3, 3]);
    expect(tensorDims(init(sut.model, 'bd'))).toEqual([6]);
    expect(tensorDims(init(sut.model, 'wp'))).toEqual([3, 6, 1, 1]);
    // The depthwise conv changed along with the expand conv, so only the output layer is "skipped".
    expect(sut.report.skipped.map((s) => s.node)).toEqual(['Conv_y']);
    const x = feed('x', [2, 2, 6, 6]);
    expectClose((await runModel(sut.model, x))['y']!, (await runModel(zeroConsumedChannels(model, sut), x))['y']!, 1e-5);
  });

  it('slices per-channel constants of element-wise ops and follows Unsqueeze → BN → Squeeze between Gemms', async () => {
    const model = buildModelProto({
      opset: 13,
      inputs: [valueInfo('x', DataType.FLOAT, ['n', 3, 4, 4])],
      outputs: [valueInfo('y', DataType.FLOAT, ['n', 2])],
      initializers: [
        weights('w1', [4, 3, 1, 1]), weights('mul', [1, 4, 1, 1]), weights('add', [4, 1, 1]), floatTensor('half', [], () => 0.5),
        weights('g1', [64, 6]), weights('gb', [6]), int64Tensor('axes', [2]),
        positive('scale', [6]), weights('shift', [6]), weights('mean', [6]), positive('var', [6]),
        weights('g2', [2, 6]),
      ],
      nodes: [
        node('Conv', ['x', 'w1'], ['c']),
        node('Mul', ['c', 'mul'], ['m']),
        node('Add', ['add', 'm'], ['a']),
        node('Mul', ['a', 'half'], ['h']),
        node('Flatten', ['h'], ['f']),
        node('Gemm', ['f', 'g1', 'gb'], ['g']),
        node('Relu', ['g'], ['gr']),
        node('Unsqueeze', ['gr', 'axes'], ['u']),
        node('BatchNormalization', ['u', 'scale', 'shift', 'mean', 'var'], ['bn'], [attr.float('epsilon', 1e-3)]),
        node('Squeeze', ['bn', 'axes'], ['s']),
        node('Gemm', ['s', 'g2'], ['y'], [intAttr('transB', 1)]),
      ],
    });
    const sut = await expectPassInvariants(model, (m) => pruneChannels(m, { ratio: 0.5, norm: 'l1' }));
    expect(layers(sut).map((l) => [l.node, l.channelsAfter])).toEqual([['Conv_c', 2], ['Gemm_g', 3]]);
    expect(tensorDims(init(sut.model, 'mul'))).toEqual([1, 2, 1, 1]);
    expect(tensorDims(init(sut.model, 'add'))).toEqual([2, 1, 1]);
    expect(tensorDims(init(sut.model, 'half'))).toEqual([]);
    expect(tensorDims(init(sut.model, 'g1'))).toEqual([32, 3]);
    expect(tensorDims(init(sut.model, 'scale'))).toEqual([3]);
    expect(tensorDims(init(sut.model, 'g2'))).toEqual([2, 3]);
    const x = feed('x', [2, 3, 4, 4]);
    expectClose((await runModel(sut.model, x))['y']!, (await runModel(zeroConsumedChannels(model, sut), x))['y']!, 1e-5);
  });

  it('refuses grouped convolutions that are not depthwise', async () => {
    const model = buildModelProto({
      opset: 13,
      inputs: [valueInfo('x', DataType.FLOAT, [1, 2, 5, 5])],
      outputs: [valueInfo('y', DataType.FLOAT, [1, 4, 5, 5])],
      initializers: [weights('w1', [4, 2, 1, 1]), weights('w2', [4, 2, 1, 1])],
      nodes: [node('Conv', ['x', 'w1'], ['c']), node('Conv', ['c', 'w2'], ['y'], [intAttr('group', 2)])],
    });
    const err = await expectCompressError(() => pruneChannels(model, { ratio: 0.5, norm: 'l1' }), 'pass/refused');
    expect(err.message).toMatch(/grouped Conv "Conv_y" \(group=2\)/);
  });

  it('honours exclude and ops, and leaves layers where the ratio rounds to no channel', async () => {
    const model = convFlattenGemm('Flatten');
    const sut = await expectPassInvariants(model, (m) => pruneChannels(m, { ratio: 0.3, norm: 'l1', exclude: ['Conv_c'] }));
    expect(layers(sut).map((l) => [l.node, l.removed.length])).toEqual([['Gemm_h', 1]]);
    expect(sut.report.skipped).toContainEqual({ node: 'Conv_c', reason: 'excluded by options' });
    const small = await expectPassInvariants(model, (m) => pruneChannels(m, { ratio: 0.2, ops: ['Gemm'] }));
    expect(small.report.details['norm']).toBe('l1');
    expect(layers(small).map((l) => l.node)).toEqual(['Gemm_h']);
    await expectCompressError(() => pruneChannels(model, { ratio: 0.1, norm: 'l1', ops: ['Conv'] }), 'pass/refused');
  });

  it('rejects bad options with pass/invalid_options', async () => {
    const model = convBnReluConv();
    for (const ratio of [0, 1, -0.5, Number.NaN, '0.5']) {
      await expectCompressError(() => pruneChannels(model, { ratio: ratio as number, norm: 'l1' }), 'pass/invalid_options');
    }
    await expectCompressError(() => pruneChannels(model, { ratio: 0.5, norm: 'l3' as never }), 'pass/invalid_options');
    await expectCompressError(() => pruneChannels(model, { ratio: 0.5, norm: 'l1', ops: ['Relu' as never] }), 'pass/invalid_options');
    await expectCompressError(() => pruneChannels(model, { ratio: 0.5, norm: 'l1', exclude: 'Conv_c1' as never }), 'pass/invalid_options');
  });
});
