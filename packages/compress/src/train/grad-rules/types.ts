import type { onnx } from '../../ir/onnx.js';
import type { GraphBuilder } from '../builder.js';

/** What a gradient rule sees of one forward node. */
export interface GradContext {
  readonly node: onnx.INodeProto;
  readonly b: GraphBuilder;
  /** The value's shape from the probe run (batch as probed); throws when it was not probed. */
  shape(value: string): readonly number[];
  /** Name of the gradient flowing into output `i`, undefined when nothing downstream depends on it. */
  dy(i?: number): string | undefined;
  /** Whether input `i` needs a gradient. */
  wants(i: number): boolean;
  /** Raises `train/unsupported_op` for an attribute value the rule does not handle. */
  unsupported(reason: string): never;
}

/** Returns one gradient name per node input (undefined: no gradient / not wanted). */
export type GradRule = (ctx: GradContext) => (string | undefined)[];

/** Gradient of the first output; rules only run when it exists. */
export function dy0(ctx: GradContext): string {
  const g = ctx.dy(0);
  if (!g) ctx.unsupported('gradient requested for a node whose first output has none');
  return g;
}

/**
 * Sums a broadcast gradient back to an operand's shape (numpy broadcasting): leading axes the
 * operand lacks and axes where it has extent 1 are summed, then the result is reshaped to the
 * operand's runtime shape.
 */
export function reduceToOperand(ctx: GradContext, grad: string, outShape: readonly number[], operand: string): string {
  const opShape = ctx.shape(operand);
  const lead = outShape.length - opShape.length;
  const axes: number[] = [];
  for (let i = 0; i < outShape.length; i++) {
    if (i < lead) axes.push(i);
    else if (opShape[i - lead] === 1 && outShape[i] !== 1) axes.push(i);
  }
  if (axes.length === 0 && lead === 0) return grad;
  const summed = axes.length > 0 ? ctx.b.reduceSum(grad, axes, true) : grad;
  return ctx.b.reshapeLike(summed, operand);
}
