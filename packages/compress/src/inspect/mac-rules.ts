import { int64ToNumber, type onnx } from '../ir/onnx.js';

/** How to count one op's multiply-accumulates from the shapes of a few of its tensors. */
export interface MacRule {
  /** Tensor names whose shapes the count needs. */
  needs(node: onnx.INodeProto): string[];
  /** `shapes` holds every name from `needs`. */
  count(node: onnx.INodeProto, shapes: ReadonlyMap<string, readonly number[]>): number;
}

const product = (dims: readonly number[]): number => dims.reduce((acc, dim) => acc * dim, 1);

function input(node: onnx.INodeProto, index: number): string {
  return node.input?.[index] ?? '';
}

function output(node: onnx.INodeProto): string {
  return node.output?.[0] ?? '';
}

function intAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const attribute = (node.attribute ?? []).find((a) => a.name === name);
  return attribute ? int64ToNumber(attribute.i) : fallback;
}

function shapeOf(shapes: ReadonlyMap<string, readonly number[]>, name: string): readonly number[] {
  const shape = shapes.get(name);
  if (!shape) throw new Error(`no shape for "${name}"`);
  return shape;
}

/**
 * Y = [N, Cout, *outSpatial], W = [Cout, Cin/group, *kernel]: every output element takes
 * (Cin/group)·prod(kernel) MACs, so MACs = prod(Y)·prod(W[1:]). Reading Cin/group off W avoids
 * depending on the group attribute.
 */
function convRule(weightIndex: number): MacRule {
  return {
    needs: (node) => [output(node), input(node, weightIndex)],
    count: (node, shapes) => product(shapeOf(shapes, output(node))) * product(shapeOf(shapes, input(node, weightIndex)).slice(1)),
  };
}

/** X = [N, Cin, *inSpatial], W = [Cin, Cout/group, *kernel]: each input element scatters into prod(W[1:]). */
const convTransposeRule: MacRule = {
  needs: (node) => [input(node, 0), input(node, 1)],
  count: (node, shapes) => product(shapeOf(shapes, input(node, 0))) * product(shapeOf(shapes, input(node, 1)).slice(1)),
};

/** Y = [M, N]; K is A's second dim, or its first when transA. */
const gemmRule: MacRule = {
  needs: (node) => [output(node), input(node, 0)],
  count: (node, shapes) => {
    const a = shapeOf(shapes, input(node, 0));
    const k = intAttribute(node, 'transA', 0) ? a[0] : a[1];
    return product(shapeOf(shapes, output(node))) * (k ?? 0);
  },
};

/** Y = [...batch, M, N] (M or N dropped for 1-D operands); K is always A's last dim. */
const matMulRule: MacRule = {
  needs: (node) => [output(node), input(node, 0)],
  count: (node, shapes) => {
    const a = shapeOf(shapes, input(node, 0));
    return product(shapeOf(shapes, output(node))) * (a[a.length - 1] ?? 0);
  },
};

/** Keyed by op_type in the default ONNX domain. */
export const MAC_RULES: Readonly<Record<string, MacRule>> = {
  Conv: convRule(1),
  ConvInteger: convRule(1),
  QLinearConv: convRule(3),
  ConvTranspose: convTransposeRule,
  Gemm: gemmRule,
  MatMul: matMulRule,
  MatMulInteger: matMulRule,
  QLinearMatMul: matMulRule,
};
