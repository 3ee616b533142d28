import { CompressError } from '../errors.js';
import type { onnx } from './onnx.js';

/**
 * A read index over one GraphProto: who produces and who consumes each value, initializers by name,
 * and a name allocator. It indexes the graph as it was when built; rebuild it after rewriting.
 * Subgraphs (If/Loop/Scan bodies) are not descended into: passes leave them as they are.
 */
export class GraphIndex {
  private readonly producers = new Map<string, onnx.INodeProto>();
  private readonly consumerMap = new Map<string, onnx.INodeProto[]>();
  private readonly initializers = new Map<string, onnx.ITensorProto>();
  private readonly graphInputs: Set<string>;
  private readonly graphOutputs: Set<string>;
  private readonly usedNames = new Set<string>();

  constructor(readonly graph: onnx.IGraphProto) {
    for (const t of graph.initializer ?? []) {
      this.initializers.set(t.name ?? '', t);
      this.usedNames.add(t.name ?? '');
    }
    this.graphInputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
    this.graphOutputs = new Set((graph.output ?? []).map((v) => v.name ?? ''));
    for (const name of [...this.graphInputs, ...this.graphOutputs]) this.usedNames.add(name);
    for (const node of graph.node ?? []) {
      if (node.name) this.usedNames.add(node.name);
      for (const out of node.output ?? []) {
        if (!out) continue;
        this.producers.set(out, node);
        this.usedNames.add(out);
      }
      for (const input of node.input ?? []) {
        if (!input) continue;
        const list = this.consumerMap.get(input);
        if (list) list.push(node);
        else this.consumerMap.set(input, [node]);
      }
    }
  }

  producer(value: string): onnx.INodeProto | undefined {
    return this.producers.get(value);
  }

  consumers(value: string): readonly onnx.INodeProto[] {
    return this.consumerMap.get(value) ?? [];
  }

  initializer(name: string): onnx.ITensorProto | undefined {
    return this.initializers.get(name);
  }

  isGraphInput(name: string): boolean {
    return this.graphInputs.has(name) && !this.initializers.has(name);
  }

  isGraphOutput(name: string): boolean {
    return this.graphOutputs.has(name);
  }

  /** A value, node or initializer name not used anywhere in the graph yet (and reserved from now on). */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }
}

/** Nodes in an order where every node comes after the producers of its inputs; throws on a cycle. */
export function topologicalOrder(graph: onnx.IGraphProto): onnx.INodeProto[] {
  const nodes = graph.node ?? [];
  const producerIndex = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producerIndex.set(o, i)));
  const pending = nodes.map((n) => new Set((n.input ?? []).filter((v) => v && producerIndex.has(v)).map((v) => producerIndex.get(v)!)));
  const dependents = nodes.map(() => [] as number[]);
  pending.forEach((deps, i) => deps.forEach((d) => dependents[d]!.push(i)));
  const ready = pending.flatMap((deps, i) => (deps.size === 0 ? [i] : []));
  const order: onnx.INodeProto[] = [];
  while (ready.length > 0) {
    const i = ready.shift()!;
    order.push(nodes[i]!);
    for (const j of dependents[i]!) {
      pending[j]!.delete(i);
      if (pending[j]!.size === 0) ready.push(j);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((_, i) => pending[i]!.size > 0).map((n) => n.name || n.opType);
    throw new CompressError('model/invalid_graph', 'ir', `graph has a cycle through ${stuck.slice(0, 5).join(', ')}`);
  }
  return order;
}

/**
 * Structural problems of a graph, empty when valid: duplicate value names, node inputs nobody
 * produces, graph outputs nobody produces, cycles. Passes are tested against this after every rewrite.
 */
export function graphProblems(graph: onnx.IGraphProto): string[] {
  const problems: string[] = [];
  const available = new Set<string>([...(graph.input ?? []).map((v) => v.name ?? ''), ...(graph.initializer ?? []).map((t) => t.name ?? '')]);
  const produced = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const out of node.output ?? []) {
      if (!out) continue;
      if (produced.has(out) || available.has(out)) problems.push(`value "${out}" is defined more than once`);
      produced.add(out);
    }
  }
  for (const node of graph.node ?? []) {
    for (const input of node.input ?? []) {
      if (input && !available.has(input) && !produced.has(input)) problems.push(`node "${node.name || node.opType}" reads "${input}", which nothing defines`);
    }
  }
  for (const out of graph.output ?? []) {
    const name = out.name ?? '';
    if (!produced.has(name) && !available.has(name)) problems.push(`graph output "${name}" is not produced`);
  }
  try {
    topologicalOrder(graph);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

/** Reorders `graph.node` topologically in place (ONNX requires it; rewrites may append out of order). */
export function sortGraphInPlace(graph: onnx.IGraphProto): void {
  graph.node = topologicalOrder(graph);
}

/** Drops initializers no node reads and that are not graph outputs (after a rewrite replaced them). */
export function removeUnusedInitializers(graph: onnx.IGraphProto): number {
  const used = new Set<string>();
  for (const node of graph.node ?? []) for (const i of node.input ?? []) used.add(i);
  for (const out of graph.output ?? []) used.add(out.name ?? '');
  const removed = new Set((graph.initializer ?? []).map((t) => t.name ?? '').filter((name) => !used.has(name)));
  graph.initializer = (graph.initializer ?? []).filter((t) => !removed.has(t.name ?? ''));
  // IR < 4 lists initializers as graph inputs too; drop those entries with them.
  graph.input = (graph.input ?? []).filter((v) => !removed.has(v.name ?? ''));
  return removed.size;
}
