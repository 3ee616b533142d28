import { attrFloat } from '../../ir/attributes.js';
import { dy0, reduceToOperand, type GradContext, type GradRule } from './types.js';

function maskWhere(ctx: GradContext, mask: string, g: string): string {
  return ctx.b.op('Where', [mask, g, ctx.b.float(0)]);
}

/** dX = dY where X > 0. */
export const relu: GradRule = (ctx) => {
  const x = ctx.node.input![0]!;
  return [maskWhere(ctx, ctx.b.op('Greater', [x, ctx.b.float(0)]), dy0(ctx))];
};

/** dX = dY where min < X < max (absent bounds impose nothing). */
export const clip: GradRule = (ctx) => {
  const [x, min, max] = ctx.node.input!;
  const b = ctx.b;
  const masks: string[] = [];
  if (min) masks.push(b.op('Greater', [x!, min]));
  if (max) masks.push(b.op('Less', [x!, max]));
  const g = dy0(ctx);
  if (masks.length === 0) return [g];
  const mask = masks.length === 2 ? b.op('And', masks) : masks[0]!;
  return [maskWhere(ctx, mask, g)];
};

/** dX = dY·Y·(1 − Y). */
export const sigmoid: GradRule = (ctx) => {
  const b = ctx.b;
  const y = ctx.node.output![0]!;
  const deriv = b.mul(y, b.op('Sub', [b.float(1), y]));
  return [b.mul(dy0(ctx), deriv)];
};

/** HardSwish x·clamp(x/6 + 1/2, 0, 1): derivative 0 below −3, 1 above 3, x/3 + 1/2 between. */
export const hardSwish: GradRule = (ctx) => {
  const b = ctx.b;
  const x = ctx.node.input![0]!;
  const mid = b.op('Add', [b.mul(x, b.float(1 / 3)), b.float(0.5)]);
  const upper = b.op('Where', [b.op('Greater', [x, b.float(3)]), b.float(1), mid]);
  const deriv = b.op('Where', [b.op('Less', [x, b.float(-3)]), b.float(0), upper]);
  return [b.mul(dy0(ctx), deriv)];
};

/** HardSigmoid max(0, min(1, αx + β)): derivative α inside (0, 1). */
export const hardSigmoid: GradRule = (ctx) => {
  const b = ctx.b;
  const x = ctx.node.input![0]!;
  const alpha = attrFloat(ctx.node, 'alpha', 0.2);
  const beta = attrFloat(ctx.node, 'beta', 0.5);
  const z = b.op('Add', [b.mul(x, b.float(alpha)), b.float(beta)]);
  const inside = b.op('And', [b.op('Greater', [z, b.float(0)]), b.op('Less', [z, b.float(1)])]);
  return [b.op('Where', [inside, b.mul(dy0(ctx), b.float(alpha)), b.float(0)])];
};

function binary(ctx: GradContext, local: (g: string, a: string, bIn: string) => [string | undefined, string | undefined]): (string | undefined)[] {
  const [a, bIn] = ctx.node.input as [string, string];
  const out = ctx.shape(ctx.node.output![0]!);
  const [ga, gb] = local(dy0(ctx), a, bIn);
  return [
    ga && ctx.wants(0) ? reduceToOperand(ctx, ga, out, a) : undefined,
    gb && ctx.wants(1) ? reduceToOperand(ctx, gb, out, bIn) : undefined,
  ];
}

export const add: GradRule = (ctx) => binary(ctx, (g) => [g, g]);

export const sub: GradRule = (ctx) => binary(ctx, (g) => [g, ctx.wants(1) ? ctx.b.op('Neg', [g]) : undefined]);

export const mul: GradRule = (ctx) =>
  binary(ctx, (g, a, bIn) => [ctx.wants(0) ? ctx.b.mul(g, bIn) : undefined, ctx.wants(1) ? ctx.b.mul(g, a) : undefined]);

/** Y = A / B: dA = dY / B, dB = −dY·Y / B. */
export const div: GradRule = (ctx) =>
  binary(ctx, (g, _a, bIn) => {
    const ga = ctx.wants(0) || ctx.wants(1) ? ctx.b.op('Div', [g, bIn]) : undefined;
    const gb = ctx.wants(1) ? ctx.b.op('Neg', [ctx.b.mul(ga!, ctx.node.output![0]!)]) : undefined;
    return [ctx.wants(0) ? ga : undefined, gb];
  });

/** Identity-like ops (Identity, Dropout in inference). */
export const passThrough: GradRule = (ctx) => [dy0(ctx)];

/** Flatten, Reshape, Squeeze, Unsqueeze: the gradient is reshaped back to the input's runtime shape. */
export const reshapeBack: GradRule = (ctx) => [ctx.b.reshapeLike(dy0(ctx), ctx.node.input![0]!)];
