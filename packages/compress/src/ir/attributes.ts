import { int64ToNumber, onnx } from './onnx.js';

const AT = onnx.AttributeProto.AttributeType;

export function findAttribute(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function attrInt(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = findAttribute(node, name);
  return a ? int64ToNumber(a.i) : fallback;
}

export function attrFloat(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = findAttribute(node, name);
  return a ? (a.f ?? fallback) : fallback;
}

export function attrInts(node: onnx.INodeProto, name: string): number[] | undefined {
  const a = findAttribute(node, name);
  return a ? (a.ints ?? []).map(int64ToNumber) : undefined;
}

export function attrString(node: onnx.INodeProto, name: string): string | undefined {
  const a = findAttribute(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : undefined;
}

export const attr = {
  int: (name: string, i: number) => onnx.AttributeProto.create({ name, type: AT.INT, i }),
  float: (name: string, f: number) => onnx.AttributeProto.create({ name, type: AT.FLOAT, f }),
  ints: (name: string, ints: readonly number[]) => onnx.AttributeProto.create({ name, type: AT.INTS, ints: [...ints] }),
  string: (name: string, s: string) => onnx.AttributeProto.create({ name, type: AT.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: onnx.ITensorProto) => onnx.AttributeProto.create({ name, type: AT.TENSOR, t }),
};

/** Replaces (or adds) one attribute, leaving the others as they are. */
export function setAttribute(node: onnx.INodeProto, attribute: onnx.IAttributeProto): void {
  const rest = (node.attribute ?? []).filter((a) => a.name !== attribute.name);
  node.attribute = [...rest, attribute];
}
