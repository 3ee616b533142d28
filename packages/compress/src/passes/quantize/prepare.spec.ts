import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../../test/expect-error.js';
import { buildModelProto, DataType, floatTensor, int64Tensor, intAttr, intsAttr, node, valueInfo } from '../../../test/onnx-builder.js';
import { expectClose, randomFloats, runModel, seeded } from '../../../test/pass-run.js';
import { attr } from '../../ir/attributes.js';
import { encodeModelProto } from '../../ir/model-proto.js';
import { int64ToNumber, onnx } from '../../ir/onnx.js';
import { ort } from '../../inspect/runtime.js';
import { prepareForQuantization } from './prepare.js';

const random = seeded(42);
const weights = (name: string, dims: number[], scale = 0.5) => floatTensor(name, dims, (() => {
  const values = randomFloats(dims.reduce((a, b) => a * b, 1), random, scale);
  return (i: number) => values[i]!;
})());
const image = (dims: number[]) => new ort.Tensor('float32', randomFloats(dims.reduce((a, b) => a * b, 1), random), dims);
const ops = (model: onnx.IModelProto) => (model.graph?.node ?? []).map((n) => n.opType);

describe(prepareForQuantization.name, () => {
  it('folds BatchNormalization into the Conv before it, with identical outputs', async () => {
    const model = buildModelProto({
      nodes: [
        node('Conv', ['x', 'w'], ['c'], [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])]),
        node('BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['bn'], [attr.float('epsilon', 1e-3)]),
        node('Relu', ['bn'], ['y']),
      ],
      inputs: [valueInfo('x', DataType.FLOAT, ['n', 3, 8, 8])],
      outputs: [valueInfo('y', DataType.FLOAT, ['n', 4, 8, 8])],
      initializers: [weights('w', [4, 3, 3, 3]), weights('gamma', [4], 2), weights('beta', [4]), weights('mean', [4]), floatTensor('var', [4], (i) => 0.5 + i)],
    });
    const sut = prepareForQuantization(model);
    expect(sut.foldedBatchNorms).toBe(1);
    expect(ops(sut.model)).toEqual(['Conv', 'Relu']);
    expect(sut.model.graph!.node![0]!.output).toEqual(['bn']);
    const feeds = { x: image([2, 3, 8, 8]) };
    expectClose((await runModel(sut.model, feeds))['y']!, (await runModel(model, feeds))['y']!, 1e-5, 1e-5);
  });

  it('folds a zero Pad into the next Conv (asymmetric, as TensorFlow exports stride-2 convs)', async () => {
    const model = buildModelProto({
      nodes: [node('Pad', ['x', 'pads'], ['p']), node('Conv', ['p', 'w', 'b'], ['y'], [intsAttr('kernel_shape', [3, 3]), intsAttr('strides', [2, 2])])],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 2, 9, 9])],
      outputs: [valueInfo('y', DataType.FLOAT, null)],
      initializers: [int64Tensor('pads', [0, 0, 0, 0, 0, 0, 1, 1]), weights('w', [3, 2, 3, 3]), weights('b', [3])],
    });
    const sut = prepareForQuantization(model);
    expect(sut.foldedPads).toBe(1);
    expect(ops(sut.model)).toEqual(['Conv']);
    const pads = sut.model.graph!.node![0]!.attribute!.find((a) => a.name === 'pads')!;
    expect(pads.ints!.map(int64ToNumber)).toEqual([0, 0, 1, 1]);
    const feeds = { x: image([1, 2, 9, 9]) };
    expectClose((await runModel(sut.model, feeds))['y']!, (await runModel(model, feeds))['y']!, 1e-6);
  });

  it('upgrades opset 10 to 13: Clip attributes become inputs, Dropout goes, Softmax keeps its old semantics', async () => {
    const model = buildModelProto({
      opset: 10,
      irVersion: 5,
      nodes: [
        node('Conv', ['x', 'w'], ['c'], [intsAttr('kernel_shape', [1, 1])]),
        node('Clip', ['c'], ['r'], [attr.float('min', 0), attr.float('max', 0.5)]),
        node('Dropout', ['r'], ['d'], [attr.float('ratio', 0.3)]),
        // Softmax-1 flattens [n, 4, 2, 2] to [n, 16] at axis 1: a softmax over 16 values, not over the last axis.
        node('Softmax', ['d'], ['y']),
      ],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 3, 2, 2])],
      outputs: [valueInfo('y', DataType.FLOAT, null)],
      initializers: [weights('w', [4, 3, 1, 1], 2)],
    });
    const sut = prepareForQuantization(model);
    expect(sut.notes.join()).toContain('opset 10 → 13');
    expect(ops(sut.model)).not.toContain('Dropout');
    expect(sut.model.opsetImport[0]!.version).toBe(13);
    expect(int64ToNumber(sut.model.irVersion)).toBeGreaterThanOrEqual(7);
    const clip = sut.model.graph!.node!.find((n) => n.opType === 'Clip')!;
    expect(clip.input).toHaveLength(3);
    const feeds = { x: image([1, 3, 2, 2]) };
    expectClose((await runModel(sut.model, feeds))['y']!, (await runModel(model, feeds))['y']!, 1e-6);
  });

  it('names unnamed nodes and de-duplicates names (decisions are keyed by node name)', () => {
    const model = buildModelProto({
      nodes: [
        { opType: 'Relu', input: ['x'], output: ['a'] },
        { ...node('Relu', ['a'], ['b']), name: 'same' },
        { ...node('Relu', ['b'], ['y']), name: 'same' },
      ],
      inputs: [valueInfo('x', DataType.FLOAT, [1])],
      outputs: [valueInfo('y', DataType.FLOAT, [1])],
    });
    const names = prepareForQuantization(model).model.graph!.node!.map((n) => n.name);
    expect(new Set(names).size).toBe(3);
    expect(names.every(Boolean)).toBe(true);
  });

  it('refuses opsets it cannot upgrade with model/unsupported', async () => {
    const old = buildModelProto({ opset: 6, nodes: [node('Relu', ['x'], ['y'])], inputs: [valueInfo('x', DataType.FLOAT, [1])], outputs: [valueInfo('y', DataType.FLOAT, [1])] });
    await expectCompressError(() => prepareForQuantization(old), 'model/unsupported');
    const upsample = buildModelProto({
      opset: 9,
      nodes: [node('Upsample', ['x', 's'], ['y'])],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 1, 2, 2])],
      outputs: [valueInfo('y', DataType.FLOAT, null)],
      initializers: [floatTensor('s', [4], () => 2)],
    });
    const err = await expectCompressError(() => prepareForQuantization(upsample), 'model/unsupported');
    expect(err.message).toContain('Upsample');
  });

  it('never touches its input', () => {
    const model = buildModelProto({
      nodes: [node('Conv', ['x', 'w'], ['c'], [intAttr('group', 1)]), node('BatchNormalization', ['c', 'g', 'b', 'm', 'v'], ['y'])],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 1, 2, 2])],
      outputs: [valueInfo('y', DataType.FLOAT, null)],
      initializers: [weights('w', [1, 1, 1, 1]), weights('g', [1]), weights('b', [1]), weights('m', [1]), floatTensor('v', [1], () => 1)],
    });
    const before = encodeModelProto(model);
    prepareForQuantization(model);
    expect(Buffer.from(encodeModelProto(model)).equals(Buffer.from(before))).toBe(true);
  });
});
