import { attrFloat, attrInt } from '../../ir/attributes.js';
import { dy0, type GradRule } from './types.js';

/**
 * BatchNormalization in inference mode, an affine per-channel map with frozen statistics:
 * Y = scale·(X − mean)/√(var + ε) + B. dX = dY·scale/√(var + ε), dScale = Σ dY·(X − mean)/√(var + ε),
 * dB = Σ dY (sums over every axis but 1). Mean and variance get no gradient.
 */
export const batchNormalization: GradRule = (ctx) => {
  const b = ctx.b;
  if (attrInt(ctx.node, 'training_mode', 0) !== 0) ctx.unsupported('BatchNormalization in training mode');
  const [x, scale, , mean, variance] = ctx.node.input as string[];
  const rank = ctx.shape(x!).length;
  const channelShape = b.int64([1, -1, ...Array.from({ length: rank - 2 }, () => 1)]);
  const perChannel = (v: string): string => b.op('Reshape', [v, channelShape]);
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const invStd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance!, b.float(attrFloat(ctx.node, 'epsilon', 1e-5))])])]);
  const g = dy0(ctx);
  const out: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  if (ctx.wants(0)) out[0] = b.mul(g, perChannel(b.mul(scale!, invStd)));
  if (ctx.wants(1)) {
    const normalized = b.mul(b.op('Sub', [x!, perChannel(mean!)]), perChannel(invStd));
    out[1] = b.reduceSum(b.mul(g, normalized), axes, false);
  }
  if (ctx.wants(2)) out[2] = b.reduceSum(g, axes, false);
  return out;
};
