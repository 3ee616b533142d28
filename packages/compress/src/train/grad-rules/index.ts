import { batchNormalization } from './batch-norm.js';
import { conv } from './conv.js';
import * as ew from './elementwise.js';
import { gemm, matMul } from './linear.js';
import { pad } from './pad.js';
import { averagePool, globalAveragePool, maxPool } from './pool.js';
import { logSoftmax, softmax } from './softmax.js';
import type { GradRule } from './types.js';

export type { GradContext, GradRule } from './types.js';

/** Reverse-mode rules per op type (default ONNX domain, opset ≥ 13 semantics). */
export const GRAD_RULES: Readonly<Record<string, GradRule>> = {
  Gemm: gemm,
  MatMul: matMul,
  Conv: conv,
  Relu: ew.relu,
  Clip: ew.clip,
  Sigmoid: ew.sigmoid,
  HardSwish: ew.hardSwish,
  HardSigmoid: ew.hardSigmoid,
  Add: ew.add,
  Sub: ew.sub,
  Mul: ew.mul,
  Div: ew.div,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  Flatten: ew.reshapeBack,
  Reshape: ew.reshapeBack,
  Squeeze: ew.reshapeBack,
  Unsqueeze: ew.reshapeBack,
  Identity: ew.passThrough,
  Dropout: ew.passThrough,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  BatchNormalization: batchNormalization,
  Pad: pad,
};

/** Inputs that never carry a gradient, by op (shapes, axes, bounds, statistics). */
export const NON_DIFFERENTIABLE_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1],
  Squeeze: [1],
  Unsqueeze: [1],
  Clip: [1, 2],
  Dropout: [1, 2],
  BatchNormalization: [3, 4],
  Pad: [1, 2, 3],
  // Outputs that are shapes, sizes, masks or indices carry no gradient.
  Shape: [0],
  Size: [0],
  Greater: [0, 1],
  Less: [0, 1],
  Equal: [0, 1],
  ArgMax: [0],
  ArgMin: [0],
};
