import { describeCause } from '../errors.js';
import { hasSubgraphs, isDefaultDomain, opKey } from '../ir/graph-stats.js';
import { cloneModelProto, encodeModelProto } from '../ir/model-proto.js';
import { onnx } from '../ir/onnx.js';
import { concreteShape, type TensorInfo } from '../ir/tensor-info.js';
import { tensorDims } from '../ir/tensors.js';
import { MAC_RULES, type MacRule } from './mac-rules.js';
import { zeroFeeds } from './probe-feeds.js';
import { ort, withSession } from './runtime.js';

export interface MacEstimate {
  macs: number | null;
  macsByOp: Record<string, number>;
  macsNote: string;
}

const COUNTED_OPS = Object.keys(MAC_RULES).join('/');

/**
 * Counts MACs of the main graph's Conv/Gemm/MatMul-like nodes. Static shape inference would need a
 * full ONNX shape-inference port, so instead ORT runs the model once on zeros (symbolic dims = 1)
 * with every tensor we need exposed as an extra graph output, and we read the shapes it produced.
 * Never throws: whatever stops the probe ends up in `macsNote` with `macs: null`.
 */
export async function estimateMacs(model: onnx.IModelProto, inputs: readonly TensorInfo[]): Promise<MacEstimate> {
  const graph = model.graph ?? {};
  const nodes = (graph.node ?? []).flatMap((node) => {
    const rule = isDefaultDomain(node.domain) ? MAC_RULES[node.opType ?? ''] : undefined;
    return rule ? [{ node, rule }] : [];
  });
  const scope = hasSubgraphs(graph) ? '; ops inside If/Loop/Scan bodies are not counted' : '';
  if (nodes.length === 0) return { macs: 0, macsByOp: {}, macsNote: `no ${COUNTED_OPS} nodes in the main graph${scope}` };

  const synthesized = zeroFeeds(inputs);
  if ('reason' in synthesized) return unavailable(`shape probe not run: ${synthesized.reason}`);
  const shapes = staticShapes(graph, inputs);
  const wanted = [...new Set(nodes.flatMap(({ node, rule }) => rule.needs(node)))].filter((name) => !shapes.has(name));
  if (wanted.includes('')) return unavailable('a counted node lacks a required input or output name');

  try {
    await probeShapes(model, wanted, synthesized.feeds, shapes);
  } catch (err) {
    return unavailable(`shape probe failed: ${describeCause(err)}`);
  }
  return tally(nodes, shapes, `per inference at ${describeInputs(inputs)} (symbolic dims set to 1)${scope}`);
}

/** Shapes known without running anything: initializers, Constant outputs and what we feed. */
function staticShapes(graph: onnx.IGraphProto, inputs: readonly TensorInfo[]): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const tensor of graph.initializer ?? []) shapes.set(tensor.name ?? '', tensorDims(tensor));
  for (const node of graph.node ?? []) {
    const value = node.opType === 'Constant' ? (node.attribute ?? []).find((a) => a.name === 'value')?.t : undefined;
    if (value && node.output?.[0]) shapes.set(node.output[0], tensorDims(value));
  }
  for (const input of inputs) if (input.shape) shapes.set(input.name, concreteShape(input.shape));
  return shapes;
}

async function probeShapes(
  model: onnx.IModelProto,
  wanted: readonly string[],
  feeds: Record<string, ort.Tensor>,
  shapes: Map<string, number[]>,
): Promise<void> {
  if (wanted.length === 0) return;
  const probe = cloneModelProto(model);
  const outputs = (probe.graph ??= {}).output ??= [];
  const declared = new Set(outputs.map((o) => o.name ?? ''));
  // ORT accepts outputs declared by name only and infers their type, which saves us guessing it.
  for (const name of wanted) if (!declared.has(name)) outputs.push(onnx.ValueInfoProto.create({ name }));
  await withSession(encodeModelProto(probe), async (session) => {
    const results = await session.run(feeds, wanted);
    for (const name of wanted) {
      const tensor = results[name];
      if (!tensor) throw new Error(`ORT returned no value for "${name}"`);
      shapes.set(name, [...tensor.dims]);
    }
  });
}

function tally(
  nodes: readonly { node: onnx.INodeProto; rule: MacRule }[],
  shapes: ReadonlyMap<string, readonly number[]>,
  note: string,
): MacEstimate {
  const macsByOp: Record<string, number> = {};
  let macs = 0;
  for (const { node, rule } of nodes) {
    let count: number;
    try {
      count = rule.count(node, shapes);
    } catch (err) {
      return unavailable(`cannot count ${node.opType} "${node.name ?? ''}": ${describeCause(err)}`);
    }
    const key = opKey(node);
    macsByOp[key] = (macsByOp[key] ?? 0) + count;
    macs += count;
  }
  return { macs, macsByOp, macsNote: note };
}

function describeInputs(inputs: readonly TensorInfo[]): string {
  return inputs.map((input) => `${input.name}=[${concreteShape(input.shape ?? []).join(',')}]`).join(', ');
}

function unavailable(macsNote: string): MacEstimate {
  return { macs: null, macsByOp: {}, macsNote };
}
