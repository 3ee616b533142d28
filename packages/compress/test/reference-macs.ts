import { int64ToNumber, type onnx } from '../src/ir/onnx.js';

/**
 * An independent MAC count for the fixture models: plain shape arithmetic from each op's ONNX
 * definition, no onnxruntime involved. It only knows the ops those models use and refuses others.
 */
export function referenceMacs(model: onnx.IModelProto, inputShapes: Record<string, number[]>): { total: number; byOp: Record<string, number> } {
  const graph = model.graph!;
  const shapes = new Map<string, number[]>(Object.entries(inputShapes));
  const values = new Map<string, number[]>();
  for (const t of graph.initializer ?? []) {
    shapes.set(t.name!, (t.dims ?? []).map(int64ToNumber));
    if (t.dataType === 7) values.set(t.name!, int64Values(t));
  }
  const byOp: Record<string, number> = {};
  const add = (op: string, macs: number) => (byOp[op] = (byOp[op] ?? 0) + macs);
  const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
  const ints = (n: onnx.INodeProto, name: string, fallback: number[]) => {
    const a = n.attribute?.find((x) => x.name === name);
    return a ? (a.ints ?? []).map(int64ToNumber) : fallback;
  };
  const int = (n: onnx.INodeProto, name: string, fallback: number) => {
    const a = n.attribute?.find((x) => x.name === name);
    return a ? int64ToNumber(a.i) : fallback;
  };
  const pooled = (x: number[], n: onnx.INodeProto, kernel: number[]) => {
    const autoPad = n.attribute?.find((a) => a.name === 'auto_pad');
    if (autoPad && Buffer.from(autoPad.s!).toString() !== 'NOTSET') throw new Error('reference: auto_pad unsupported');
    if (int(n, 'ceil_mode', 0) !== 0) throw new Error('reference: ceil_mode unsupported');
    const rank = kernel.length;
    const pads = ints(n, 'pads', new Array(2 * rank).fill(0));
    const strides = ints(n, 'strides', new Array(rank).fill(1));
    const dilations = ints(n, 'dilations', new Array(rank).fill(1));
    return kernel.map((k, i) => Math.floor((x[i + 2]! + pads[i]! + pads[i + rank]! - dilations[i]! * (k - 1) - 1) / strides[i]!) + 1);
  };

  for (const n of graph.node ?? []) {
    const x = shapes.get(n.input?.[0] ?? '') ?? [];
    const out = n.output![0]!;
    switch (n.opType) {
      case 'Conv': {
        const w = shapes.get(n.input![1]!)!;
        const group = int(n, 'group', 1);
        const y = [x[0]!, w[0]!, ...pooled(x, n, w.slice(2))];
        shapes.set(out, y);
        // N·Cout·prod(out spatial) outputs, each (Cin/group)·prod(kernel) MACs.
        add('Conv', prod(y) * (x[1]! / group) * prod(w.slice(2)));
        break;
      }
      case 'MaxPool':
      case 'AveragePool':
        shapes.set(out, [x[0]!, x[1]!, ...pooled(x, n, ints(n, 'kernel_shape', []))]);
        break;
      case 'Relu': case 'Clip': case 'BatchNormalization': case 'Softmax': case 'Dropout':
        shapes.set(out, x);
        break;
      case 'Add': {
        const b = shapes.get(n.input![1]!)!;
        const rank = Math.max(x.length, b.length);
        const pa = [...new Array(rank - x.length).fill(1), ...x];
        const pb = [...new Array(rank - b.length).fill(1), ...b];
        shapes.set(out, pa.map((d, i) => Math.max(d, pb[i]!)));
        break;
      }
      case 'Pad': {
        const pads = values.get(n.input![1]!)!;
        shapes.set(out, x.map((d, i) => d + pads[i]! + pads[i + x.length]!));
        break;
      }
      case 'Flatten': {
        const axis = int(n, 'axis', 1);
        shapes.set(out, [prod(x.slice(0, axis)), prod(x.slice(axis))]);
        break;
      }
      case 'Constant': {
        const t = n.attribute!.find((a) => a.name === 'value')!.t!;
        shapes.set(out, (t.dims ?? []).map(int64ToNumber));
        if (t.dataType === 7) values.set(out, int64Values(t));
        break;
      }
      case 'Reshape': {
        const target = values.get(n.input![1]!)!.map((d, i) => (d === 0 ? x[i]! : d));
        const known = prod(target.filter((d) => d !== -1));
        shapes.set(out, target.map((d) => (d === -1 ? prod(x) / known : d)));
        break;
      }
      case 'Unsqueeze': {
        const y = [...x];
        for (const axis of ints(n, 'axes', []).sort((a, b) => a - b)) y.splice(axis, 0, 1);
        shapes.set(out, y);
        break;
      }
      case 'Squeeze': {
        const axes = new Set(ints(n, 'axes', []));
        shapes.set(out, x.filter((_, i) => !axes.has(i)));
        break;
      }
      case 'Gemm': {
        const a = int(n, 'transA', 0) ? [...x].reverse() : x;
        const bRaw = shapes.get(n.input![1]!)!;
        const b = int(n, 'transB', 0) ? [...bRaw].reverse() : bRaw;
        shapes.set(out, [a[0]!, b[1]!]);
        add('Gemm', a[0]! * b[1]! * a[1]!);
        break;
      }
      case 'MatMul': {
        const b = shapes.get(n.input![1]!)!;
        if (x.length !== 2 || b.length !== 2) throw new Error('reference: only 2-D MatMul');
        shapes.set(out, [x[0]!, b[1]!]);
        add('MatMul', x[0]! * b[1]! * x[1]!);
        break;
      }
      default:
        throw new Error(`reference: op ${n.opType} not modelled`);
    }
  }
  return { total: Object.values(byOp).reduce((a, b) => a + b, 0), byOp };
}

function int64Values(t: onnx.ITensorProto): number[] {
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData);
    return Array.from(new BigInt64Array(copy.buffer), Number);
  }
  return (t.int64Data ?? []).map(int64ToNumber);
}
