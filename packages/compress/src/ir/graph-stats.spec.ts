import { describe, expect, it } from 'vitest';
import { MODELS, readFixture } from '../../test/fixtures.js';
import { DataType, floatTensor, int64Tensor, node, tensorAttr, valueInfo } from '../../test/onnx-builder.js';
import { initializerBytes, opHistogram, opKey, parameterCount, runtimeInputs } from './graph-stats.js';
import { loadModelProto } from './model-proto.js';
import type { onnx } from './onnx.js';

describe('graph statistics', () => {
  it('counts initializer elements of every type plus float Constant tensors, but not integer constants', () => {
    const graph: onnx.IGraphProto = {
      initializer: [floatTensor('w', [3, 4]), int64Tensor('shape', [1, -1])],
      node: [
        node('Constant', [], ['c_float'], [tensorAttr('value', floatTensor('c', [5]))]),
        node('Constant', [], ['c_int'], [tensorAttr('value', int64Tensor('axes', [0, 1, 2]))]),
      ],
    };
    expect(parameterCount(graph)).toBe(12 + 2 + 5);
    expect(initializerBytes(graph)).toBe(12 * 4 + 2 * 8);
  });

  it('treats a dimensionless initializer as one element', () => {
    expect(parameterCount({ initializer: [{ name: 's', dims: [], dataType: DataType.FLOAT, floatData: [1] }] })).toBe(1);
  });

  it('leaves initializers that old exporters listed as graph inputs out of the inputs', () => {
    const graph: onnx.IGraphProto = {
      input: [valueInfo('x', DataType.FLOAT, [1, 4]), valueInfo('w', DataType.FLOAT, [4, 4])],
      initializer: [floatTensor('w', [4, 4])],
    };
    expect(runtimeInputs(graph).map((i) => i.name)).toEqual(['x']);
  });

  it('keys ops outside the default domain by domain', () => {
    expect(opKey(node('Conv', [], ['y']))).toBe('Conv');
    expect(opKey(node('Conv', [], ['y'], [], 'ai.onnx'))).toBe('Conv');
    expect(opKey(node('FusedConv', [], ['y'], [], 'com.microsoft'))).toBe('com.microsoft:FusedConv');
  });

  it('matches an independent count over the real models', () => {
    for (const file of Object.values(MODELS)) {
      const graph = loadModelProto(readFixture(file)).graph!;
      const histogram = opHistogram(graph);
      expect(Object.values(histogram).reduce((a, b) => a + b, 0)).toBe(graph.node!.length);
      for (const [op, count] of Object.entries(histogram)) {
        expect(graph.node!.filter((n) => n.opType === op).length).toBe(count);
      }
    }
  });
});
