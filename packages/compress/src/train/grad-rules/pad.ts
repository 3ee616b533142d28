import { attrString } from '../../ir/attributes.js';
import { dy0, type GradRule } from './types.js';

/**
 * Pad (constant mode, opset ≥ 11 inputs: data, pads, constant_value): the padding receives no gradient, so
 * dX = Slice(dY, starts = pads_begin, ends = pads_begin + Shape(X)) over every axis. Computed in the graph
 * from the pads tensor, so any batch size works. Non-negative pads only (a negative pad crops).
 */
export const pad: GradRule = (ctx) => {
  const b = ctx.b;
  const [x, pads, , axes] = ctx.node.input!;
  const mode = attrString(ctx.node, 'mode') ?? 'constant';
  if (mode !== 'constant') ctx.unsupported(`Pad mode "${mode}"`);
  if (axes) ctx.unsupported('Pad with an axes input');
  if (!pads) ctx.unsupported('Pad without a pads input (opset < 11)');
  const rank = ctx.shape(x!).length;
  const xShape = ctx.shape(x!);
  const yShape = ctx.shape(ctx.node.output![0]!);
  if (yShape.some((d, i) => d < xShape[i]!)) ctx.unsupported('Pad with negative pads (cropping)');
  const starts = b.op('Slice', [pads, b.int64([0]), b.int64([rank]), b.int64([0])]);
  const ends = b.op('Add', [starts, b.op('Shape', [x!])]);
  return [b.op('Slice', [dy0(ctx), starts, ends, b.int64(Array.from({ length: rank }, (_, i) => i))]), undefined, undefined];
};
