import { FLOAT_ELEMENT_TYPES } from './element-types.js';
import { int64ToNumber, type onnx } from './onnx.js';
import { tensorElementCount, tensorPayloadBytes } from './tensors.js';

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export function isDefaultDomain(domain: string | null | undefined): boolean {
  return DEFAULT_DOMAINS.has(domain ?? '');
}

/** Key: op_type, prefixed with its domain (`com.microsoft:FusedConv`) outside the default domain. */
export function opKey(node: onnx.INodeProto): string {
  const opType = node.opType ?? '';
  return isDefaultDomain(node.domain) ? opType : `${node.domain}:${opType}`;
}

export function opHistogram(graph: onnx.IGraphProto): Record<string, number> {
  const histogram: Record<string, number> = {};
  for (const node of graph.node ?? []) {
    const key = opKey(node);
    histogram[key] = (histogram[key] ?? 0) + 1;
  }
  return histogram;
}

/**
 * Graph inputs the caller must feed. Before IR 4 every initializer also had to be listed as an
 * input, and later IRs still allow it (as an overridable default); neither is a real input.
 */
export function runtimeInputs(graph: onnx.IGraphProto): onnx.IValueInfoProto[] {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  return (graph.input ?? []).filter((input) => !initializers.has(input.name ?? ''));
}

/**
 * Learned or stored values of the main graph: every initializer element (whatever its type, so
 * int64 shape constants count too), every sparse initializer at its dense size, plus floating-point
 * tensors held by Constant nodes (some exporters emit weights that way). Integer Constant tensors
 * are left out: they are shapes and axes, not parameters.
 */
export function parameterCount(graph: onnx.IGraphProto): number {
  let total = 0;
  for (const tensor of graph.initializer ?? []) total += tensorElementCount(tensor);
  for (const sparse of graph.sparseInitializer ?? []) {
    total += (sparse.dims ?? []).map(int64ToNumber).reduce((acc, dim) => acc * dim, 1);
  }
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Constant' || !isDefaultDomain(node.domain)) continue;
    for (const attribute of node.attribute ?? []) {
      const tensor = attribute.name === 'value' ? attribute.t : undefined;
      if (tensor && FLOAT_ELEMENT_TYPES.has(tensor.dataType ?? 0)) total += tensorElementCount(tensor);
    }
  }
  return total;
}

/** Bytes of initializer payloads (dense initializers only; Constant nodes are not included). */
export function initializerBytes(graph: onnx.IGraphProto): number {
  return (graph.initializer ?? []).reduce((acc, tensor) => acc + tensorPayloadBytes(tensor), 0);
}

/** Nodes with graph-valued attributes (If, Loop, Scan); their bodies are outside main-graph counts. */
export function hasSubgraphs(graph: onnx.IGraphProto): boolean {
  return (graph.node ?? []).some((node) =>
    (node.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length > 0)),
  );
}
