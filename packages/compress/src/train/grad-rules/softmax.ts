import { attrInt } from '../../ir/attributes.js';
import { dy0, type GradRule } from './types.js';

function axisOf(ctx: Parameters<GradRule>[0]): number {
  const rank = ctx.shape(ctx.node.input![0]!).length;
  const axis = attrInt(ctx.node, 'axis', -1);
  return axis < 0 ? axis + rank : axis;
}

/** Y = softmax(X): dX = Y·(dY − Σ_axis dY·Y). */
export const softmax: GradRule = (ctx) => {
  const b = ctx.b;
  const y = ctx.node.output![0]!;
  const g = dy0(ctx);
  const dot = b.reduceSum(b.mul(g, y), [axisOf(ctx)], true);
  return [b.mul(y, b.op('Sub', [g, dot]))];
};

/** Y = log_softmax(X): dX = dY − exp(Y)·Σ_axis dY. */
export const logSoftmax: GradRule = (ctx) => {
  const b = ctx.b;
  const y = ctx.node.output![0]!;
  const g = dy0(ctx);
  const total = b.reduceSum(g, [axisOf(ctx)], true);
  return [b.op('Sub', [g, b.mul(b.op('Exp', [y]), total)])];
};

