import type { GraphIndex } from '../ir/graph.js';
import { isDefaultDomain } from '../ir/graph-stats.js';
import type { onnx } from '../ir/onnx.js';

/**
 * The tensor behind a value when it is a constant: an initializer that is not also an overridable
 * graph input, or the `value` of a Constant node. undefined for anything computed.
 */
export function constantTensor(index: GraphIndex, name: string): onnx.ITensorProto | undefined {
  if (!name) return undefined;
  const init = index.initializer(name);
  if (init) return (index.graph.input ?? []).some((i) => i.name === name) ? undefined : init;
  const producer = index.producer(name);
  if (producer?.opType === 'Constant' && isDefaultDomain(producer.domain)) {
    return (producer.attribute ?? []).find((a) => a.name === 'value')?.t ?? undefined;
  }
  return undefined;
}

/** Drops nodes none of whose outputs is read or is a graph output, repeatedly; returns how many went. */
export function removeDeadNodes(graph: onnx.IGraphProto): number {
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const start = (graph.node ?? []).length;
  for (let changed = true; changed; ) {
    const used = new Set<string>(outputs);
    for (const node of graph.node ?? []) for (const input of node.input ?? []) used.add(input);
    const before = (graph.node ?? []).length;
    graph.node = (graph.node ?? []).filter((node) => (node.output ?? []).some((o) => o && used.has(o)));
    changed = graph.node.length !== before;
  }
  return start - graph.node!.length;
}
