import { describe, expect, it } from 'vitest';
import { onnx } from './onnx.js';
import { float16BitsToNumber, float32ArrayToFloat16, float32ToFloat16Bits, makeTensor, readFloat32, readIntegers, readTensor } from './tensor-data.js';

const DT = onnx.TensorProto.DataType;

describe('readTensor', () => {
  it('reads raw_data and typed fields alike', () => {
    const values = new Float32Array([1.5, -2, 3.25, 0]);
    const raw = makeTensor('w', DT.FLOAT, [2, 2], values);
    const typed = onnx.TensorProto.create({ name: 'w', dataType: DT.FLOAT, dims: [2, 2], floatData: [...values] });
    expect(readFloat32(raw)).toEqual(values);
    expect(readFloat32(typed)).toEqual(values);
    expect(readTensor(raw).dims).toEqual([2, 2]);
  });

  it('reads int8 / uint8 from int32_data and int64 from int64_data', () => {
    const i8 = onnx.TensorProto.create({ name: 'q', dataType: DT.INT8, dims: [3], int32Data: [-128, 0, 127] });
    expect(Array.from(readTensor(i8).data as Int8Array)).toEqual([-128, 0, 127]);
    const shape = onnx.TensorProto.create({ name: 's', dataType: DT.INT64, dims: [2], int64Data: [1, -1] });
    expect(readIntegers(shape)).toEqual([1, -1]);
  });

  it('survives raw_data at an unaligned offset', () => {
    const backing = new Uint8Array(9);
    new Uint8Array(backing.buffer, 1, 8).set(new Uint8Array(new Float32Array([7, 8]).buffer));
    const t = onnx.TensorProto.create({ name: 'u', dataType: DT.FLOAT, dims: [2], rawData: backing.subarray(1) });
    expect(Array.from(readFloat32(t))).toEqual([7, 8]);
  });

  it('rejects a size that does not match the dims', () => {
    const t = onnx.TensorProto.create({ name: 'bad', dataType: DT.FLOAT, dims: [3], rawData: new Uint8Array(8) });
    expect(() => readTensor(t)).toThrow(expect.objectContaining({ code: 'model/not_onnx' }));
  });
});

describe('float16', () => {
  it('round-trips exactly representable values', () => {
    for (const v of [0, 1, -1, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, 1000.5]) {
      expect(float16BitsToNumber(float32ToFloat16Bits(v))).toBe(v);
    }
  });

  it('rounds to nearest with relative error ≤ 2^-11 in the normal range', () => {
    for (let i = 0; i < 2000; i++) {
      const v = (Math.sin(i) * 1000) / (1 + (i % 37));
      if (Math.abs(v) < 2 ** -14) continue;
      const back = float16BitsToNumber(float32ToFloat16Bits(v));
      expect(Math.abs(back - v) / Math.abs(v)).toBeLessThanOrEqual(2 ** -11);
    }
  });

  it('clamps values beyond the half range and counts them', () => {
    const { bits, clamped } = float32ArrayToFloat16(new Float32Array([1e6, -7e4, 3, Infinity]));
    expect(clamped).toBe(2);
    expect(Array.from(bits, float16BitsToNumber)).toEqual([65504, -65504, 3, Infinity]);
  });
});
