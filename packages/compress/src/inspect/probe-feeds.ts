import type { TensorInfo } from '../ir/tensor-info.js';
import { concreteShape } from '../ir/tensor-info.js';
import { ort } from './runtime.js';

/** Zero-filled tensors for the given inputs, or the reason one of them cannot be synthesized. */
export function zeroFeeds(inputs: readonly TensorInfo[]): { feeds: Record<string, ort.Tensor> } | { reason: string } {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    if (input.shape === null) return { reason: `input "${input.name}" (${input.elemType}) has no known rank` };
    const dims = concreteShape(input.shape);
    const data = zeroData(input.elemType, dims.reduce((acc, dim) => acc * dim, 1));
    if (data === undefined) return { reason: `cannot synthesize input "${input.name}" of type ${input.elemType}` };
    feeds[input.name] = new ort.Tensor(input.elemType as ort.Tensor.Type, data, dims);
  }
  return { feeds };
}

function zeroData(elemType: string, count: number): ort.Tensor.DataType | undefined {
  switch (elemType) {
    case 'float32': return new Float32Array(count);
    case 'float64': return new Float64Array(count);
    // ORT-JS carries float16 as raw bits; all-zero bits are +0.
    case 'float16': return new Uint16Array(count);
    case 'int8': return new Int8Array(count);
    case 'uint8': return new Uint8Array(count);
    case 'bool': return new Uint8Array(count);
    case 'int16': return new Int16Array(count);
    case 'uint16': return new Uint16Array(count);
    case 'int32': return new Int32Array(count);
    case 'uint32': return new Uint32Array(count);
    case 'int64': return new BigInt64Array(count);
    case 'uint64': return new BigUint64Array(count);
    case 'string': return new Array<string>(count).fill('');
    default: return undefined;
  }
}
