import { describe, expect, it } from 'vitest';
import { DataType, valueInfo } from '../../test/onnx-builder.js';
import { concreteShape, describeValueInfo } from './tensor-info.js';

describe('describeValueInfo', () => {
  it('maps element types to ORT names and keeps fixed, symbolic and unknown dims apart', () => {
    expect(describeValueInfo(valueInfo('x', DataType.FLOAT16, ['batch', 0, 3, null]))).toEqual({
      name: 'x',
      elemType: 'float16',
      shape: ['batch', 0, 3, null],
    });
    expect(describeValueInfo(valueInfo('d', DataType.DOUBLE, [])).elemType).toBe('float64');
    expect(describeValueInfo(valueInfo('b', DataType.BOOL, [2])).elemType).toBe('bool');
    expect(describeValueInfo(valueInfo('i', DataType.INT64, [2])).elemType).toBe('int64');
  });

  it('reports an unknown rank as null, not as a scalar', () => {
    expect(describeValueInfo(valueInfo('x', DataType.FLOAT, null)).shape).toBeNull();
    expect(describeValueInfo(valueInfo('x', DataType.FLOAT, [])).shape).toEqual([]);
  });

  it('names non-tensor types', () => {
    const info = describeValueInfo({ name: 's', type: { sequenceType: { elemType: { tensorType: { elemType: DataType.INT8 } } } } });
    expect(info).toEqual({ name: 's', elemType: 'sequence<int8>', shape: null });
  });

  it('turns symbolic and unknown dims into 1 for a runnable shape', () => {
    expect(concreteShape(['n', 3, null, 0])).toEqual([1, 3, 1, 0]);
  });
});
