import { CompressError } from '../../errors.js';
import type { onnx } from '../../ir/onnx.js';

/** Ops whose weights the prune passes understand. */
export type PrunableOp = 'Conv' | 'Gemm' | 'MatMul';
export const PRUNABLE_OPS: readonly PrunableOp[] = ['Conv', 'Gemm', 'MatMul'];

export function checkOps(ops: unknown, fallback: readonly PrunableOp[]): readonly PrunableOp[] {
  if (ops === undefined) return fallback;
  if (!Array.isArray(ops) || ops.length === 0 || ops.some((op) => !PRUNABLE_OPS.includes(op as PrunableOp))) {
    throw new CompressError('pass/invalid_options', 'prune', `ops must be a non-empty list of ${PRUNABLE_OPS.join(', ')}; got ${JSON.stringify(ops)}`);
  }
  return ops as PrunableOp[];
}

export function checkExclude(exclude: unknown): ReadonlySet<string> {
  if (exclude === undefined) return new Set();
  if (!Array.isArray(exclude) || exclude.some((e) => typeof e !== 'string')) {
    throw new CompressError('pass/invalid_options', 'prune', 'exclude must be a list of node, output or weight names');
  }
  return new Set(exclude as string[]);
}

/** How reports name a node: its name, else its op and first output. */
export function nodeLabel(node: onnx.INodeProto): string {
  return node.name || `${node.opType}(${node.output?.[0] ?? ''})`;
}
