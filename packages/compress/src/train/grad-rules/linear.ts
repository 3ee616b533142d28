import { attr, attrFloat, attrInt } from '../../ir/attributes.js';
import { dy0, reduceToOperand, type GradRule } from './types.js';

/**
 * Y = α·A'·B' + β·C with A' = transA ? Aᵀ : A, B' likewise. Each gradient is itself one Gemm:
 * dA' = α·dY·B'ᵀ, dB' = α·A'ᵀ·dY, transposed back when the operand was stored transposed;
 * dC = β·dY summed over the axes C was broadcast along.
 */
export const gemm: GradRule = (ctx) => {
  const b = ctx.b;
  const [a, bw, c] = ctx.node.input as [string, string, string | undefined];
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  const beta = attrFloat(ctx.node, 'beta', 1);
  const transA = attrInt(ctx.node, 'transA', 0);
  const transB = attrInt(ctx.node, 'transB', 0);
  const g = dy0(ctx);
  const gemm2 = (x: string, y: string, tx: number, ty: number): string =>
    b.op('Gemm', [x, y], [attr.float('alpha', alpha), attr.int('transA', tx), attr.int('transB', ty)]);
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  if (ctx.wants(0)) out[0] = transA === 0 ? gemm2(g, bw, 0, transB === 0 ? 1 : 0) : gemm2(bw, g, transB, 1);
  if (ctx.wants(1)) out[1] = transB === 0 ? gemm2(a, g, transA === 0 ? 1 : 0, 0) : gemm2(g, a, 1, transA);
  if (c && ctx.wants(2)) {
    const scaled = beta === 1 ? g : b.mul(g, b.float(beta));
    out[2] = reduceToOperand(ctx, scaled, ctx.shape(ctx.node.output![0]!), c);
  }
  return out;
};

/** Y = A·B (rank ≥ 2, batch dims broadcast): dA = dY·Bᵀ, dB = Aᵀ·dY, summed over broadcast batch dims. */
export const matMul: GradRule = (ctx) => {
  const b = ctx.b;
  const [a, bw] = ctx.node.input as [string, string];
  const ra = ctx.shape(a).length;
  const rb = ctx.shape(bw).length;
  if (ra < 2 || rb < 2) ctx.unsupported('MatMul with a 1-D operand');
  const swap = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  const g = dy0(ctx);
  const batch = ctx.shape(ctx.node.output![0]!).slice(0, -2);
  // The gradient of an operand has the output's batch dims and the operand's matrix dims.
  const gradShape = (operand: string): number[] => [...batch, ...ctx.shape(operand).slice(-2)];
  return [
    ctx.wants(0) ? reduceToOperand(ctx, b.op('MatMul', [g, b.transpose(bw, swap(rb))]), gradShape(a), a) : undefined,
    ctx.wants(1) ? reduceToOperand(ctx, b.op('MatMul', [b.transpose(a, swap(ra)), g]), gradShape(bw), bw) : undefined,
  ];
};
