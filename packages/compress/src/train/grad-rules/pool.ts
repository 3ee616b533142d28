import { attr, attrInt, attrInts } from '../../ir/attributes.js';
import { transposeAttributes, window2d } from './conv.js';
import { dy0, type GradRule } from './types.js';

/**
 * MaxPool: the forward node is given an Indices output (flat NCHW positions of each maximum);
 * dY is scattered, with addition for overlapping windows, into a zero tensor of X's flat size.
 */
export const maxPool: GradRule = (ctx) => {
  const b = ctx.b;
  const x = ctx.node.input![0]!;
  const indices = ctx.node.output![1];
  if (!indices) ctx.unsupported('MaxPool without its Indices output');
  if (attrInt(ctx.node, 'storage_order', 0) !== 0) ctx.unsupported('MaxPool with storage_order 1');
  const flat = b.int64([-1]);
  const zeros = b.op('ConstantOfShape', [b.op('Reshape', [b.op('Size', [x]), b.int64([1])])], [attr.tensor('value', { dims: [1], dataType: 1, floatData: [0] })]);
  const scattered = b.op(
    'ScatterElements',
    [zeros, b.op('Reshape', [indices, flat]), b.op('Reshape', [dy0(ctx), flat])],
    [attr.int('axis', 0), attr.string('reduction', 'add')],
  );
  return [b.reshapeLike(scattered, x)];
};

/**
 * AveragePool: dY is divided by each window's divisor (kernel area, or the in-bounds part of it when
 * count_include_pad = 0) and spread back over the window by a ConvTranspose with an all-ones kernel,
 * one channel at a time ([N·C, 1, Ho, Wo]).
 */
export const averagePool: GradRule = (ctx) => {
  const b = ctx.b;
  const x = ctx.node.input![0]!;
  const kernel = attrInts(ctx.node, 'kernel_shape') ?? [];
  if (kernel.length !== 2) ctx.unsupported('AveragePool that is not 2-D');
  const win = window2d(ctx, kernel);
  if ((attrInts(ctx.node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) ctx.unsupported('AveragePool with dilations');
  const floorOut = [0, 1].map((i) => Math.floor((win.inSize[i]! + win.pads[i]! + win.pads[i + 2]! - kernel[i]!) / win.strides[i]!) + 1);
  if (floorOut[0] !== win.outSize[0] || floorOut[1] !== win.outSize[1]) ctx.unsupported('AveragePool with ceil_mode windows past the input');
  const includePad = attrInt(ctx.node, 'count_include_pad', 0) === 1;
  const [ho, wo] = win.outSize;
  const inverse = new Float32Array(ho * wo);
  for (let p = 0; p < ho; p++) {
    for (let q = 0; q < wo; q++) {
      const span = (o: number, i: 0 | 1): number => {
        const start = o * win.strides[i] - win.pads[i];
        const end = start + kernel[i]!;
        return includePad ? kernel[i]! : Math.min(end, win.inSize[i]) - Math.max(start, 0);
      };
      inverse[p * wo + q] = 1 / (span(p, 0) * span(q, 1));
    }
  }
  const scaled = b.mul(dy0(ctx), b.float(inverse, [ho, wo]));
  const perChannel = b.op('Reshape', [scaled, b.int64([-1, 1, ho, wo])]);
  const ones = b.float(new Float32Array(kernel[0]! * kernel[1]!).fill(1), [1, 1, kernel[0]!, kernel[1]!]);
  const spread = b.op('ConvTranspose', [perChannel, ones], transposeAttributes(win, 1));
  return [b.reshapeLike(spread, x)];
};

/** GlobalAveragePool: dX = dY / (H·W), expanded over H×W. */
export const globalAveragePool: GradRule = (ctx) => {
  const b = ctx.b;
  const x = ctx.node.input![0]!;
  const area = ctx.shape(x).slice(2).reduce((a, d) => a * d, 1);
  return [b.op('Expand', [b.mul(dy0(ctx), b.float(1 / area)), b.op('Shape', [x])])];
};
