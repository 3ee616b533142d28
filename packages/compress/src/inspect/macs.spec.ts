import { describe, expect, it } from 'vitest';
import { buildModel, buildModelProto, DataType, floatTensor, intAttr, intsAttr, node, valueInfo } from '../../test/onnx-builder.js';
import { encodeModelProto } from '../ir/model-proto.js';
import { describeValueInfo } from '../ir/tensor-info.js';
import { inspectModel } from './inspect-model.js';
import { estimateMacs } from './macs.js';

const F = DataType.FLOAT;

describe('MAC counting', () => {
  it('MatMul: batch dims × M × N × K, with a symbolic batch taken as 1', async () => {
    const report = await inspectModel(
      buildModel({
        nodes: [node('MatMul', ['a', 'b'], ['y'])],
        inputs: [valueInfo('a', F, ['n', 3, 4, 5])],
        outputs: [valueInfo('y', F, ['n', 3, 4, 6])],
        initializers: [floatTensor('b', [5, 6])],
      }),
    );
    expect(report.macsByOp).toEqual({ MatMul: 3 * 4 * 6 * 5 });
    expect(report.macsNote).toContain('a=[1,3,4,5]');
  });

  it('MatMul with a 1-D left operand', async () => {
    const report = await inspectModel(
      buildModel({
        nodes: [node('MatMul', ['a', 'b'], ['y'])],
        inputs: [valueInfo('a', F, [7])],
        outputs: [valueInfo('y', F, [3])],
        initializers: [floatTensor('b', [7, 3])],
      }),
    );
    expect(report.macs).toBe(7 * 3);
  });

  it('Gemm honours transA when reading K', async () => {
    const report = await inspectModel(
      buildModel({
        nodes: [node('Gemm', ['a', 'b'], ['y'], [intAttr('transA', 1)])],
        inputs: [valueInfo('a', F, [8, 'm'])],
        outputs: [valueInfo('y', F, ['m', 3])],
        initializers: [floatTensor('b', [8, 3])],
      }),
    );
    expect(report.macsByOp).toEqual({ Gemm: 1 * 3 * 8 });
  });

  it('grouped Conv counts Cin/group per output, with a weight computed at run time', async () => {
    // Identity hides the weight from the initializer table, so its shape must come from the probe.
    const report = await inspectModel(
      buildModel({
        nodes: [
          node('Identity', ['w0'], ['w']),
          node('Conv', ['x', 'w'], ['y'], [intAttr('group', 2), intsAttr('pads', [1, 1, 1, 1]), intsAttr('kernel_shape', [3, 3])]),
        ],
        inputs: [valueInfo('x', F, [1, 4, 8, 8])],
        outputs: [valueInfo('y', F, [1, 8, 8, 8])],
        initializers: [floatTensor('w0', [8, 2, 3, 3])],
      }),
    );
    expect(report.macsByOp).toEqual({ Conv: 8 * 8 * 8 * (4 / 2) * 3 * 3 });
  });

  it('ConvTranspose: every input element scatters through (Cout/group)·kernel weights', async () => {
    const report = await inspectModel(
      buildModel({
        nodes: [node('ConvTranspose', ['x', 'w'], ['y'], [intsAttr('strides', [2, 2])])],
        inputs: [valueInfo('x', F, [1, 4, 5, 5])],
        outputs: [valueInfo('y', F, null)],
        initializers: [floatTensor('w', [4, 2, 3, 3])],
      }),
    );
    expect(report.macsByOp).toEqual({ ConvTranspose: 4 * 5 * 5 * 2 * 3 * 3 });
  });

  it('counts the integer variants, feeding zero uint8 inputs', async () => {
    const u8 = (name: string, dims: number[]) => ({ name, dims, dataType: DataType.UINT8, rawData: new Uint8Array(dims.reduce((a, b) => a * b, 1)) });
    const report = await inspectModel(
      buildModel({
        nodes: [node('MatMulInteger', ['a', 'b'], ['m']), node('ConvInteger', ['x', 'w'], ['c'])],
        inputs: [valueInfo('a', DataType.UINT8, [2, 3]), valueInfo('x', DataType.UINT8, ['n', 1, 4, 4])],
        outputs: [valueInfo('m', DataType.INT32, [2, 4]), valueInfo('c', DataType.INT32, null)],
        initializers: [u8('b', [3, 4]), u8('w', [2, 1, 3, 3])],
      }),
    );
    expect(report.macsByOp).toEqual({ MatMulInteger: 2 * 4 * 3, ConvInteger: 2 * 2 * 2 * 1 * 3 * 3 });
  });

  it('is zero, without probing, for a graph with no counted ops', async () => {
    const report = await inspectModel(
      buildModel({ nodes: [node('Relu', ['x'], ['y'])], inputs: [valueInfo('x', F, [2])], outputs: [valueInfo('y', F, [2])] }),
    );
    expect(report.macs).toBe(0);
    expect(report.macsByOp).toEqual({});
  });

  it('gives null with a reason, instead of throwing, when inputs cannot be synthesized', async () => {
    const unknownRank = await inspectModel(
      buildModel({
        nodes: [node('MatMul', ['a', 'b'], ['y'])],
        inputs: [valueInfo('a', F, null)],
        outputs: [valueInfo('y', F, null)],
        initializers: [floatTensor('b', [2, 2])],
      }),
    );
    expect(unknownRank.macs).toBeNull();
    expect(unknownRank.macsNote).toContain('"a"');
  });

  it('probes a copy: the caller’s proto keeps its outputs', async () => {
    const model = buildModelProto({
      nodes: [node('MatMul', ['a', 'b'], ['h']), node('Relu', ['h'], ['y'])],
      inputs: [valueInfo('a', F, [2, 3])],
      outputs: [valueInfo('y', F, [2, 4])],
      initializers: [floatTensor('b', [3, 4])],
    });
    const before = encodeModelProto(model);
    const estimate = await estimateMacs(model, model.graph!.input!.map(describeValueInfo));
    expect(estimate.macs).toBe(2 * 4 * 3);
    expect(Buffer.from(encodeModelProto(model)).equals(Buffer.from(before))).toBe(true);
  });

  it('can be skipped', async () => {
    const report = await inspectModel(
      buildModel({ nodes: [node('MatMul', ['a', 'a'], ['y'])], inputs: [valueInfo('a', F, [2, 2])], outputs: [valueInfo('y', F, [2, 2])] }),
      { computeMacs: false },
    );
    expect(report.macs).toBeNull();
  });
});
