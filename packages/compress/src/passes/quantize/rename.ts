import { int64ToNumber, onnx } from '../../ir/onnx.js';

const AT = onnx.AttributeProto.AttributeType;

export interface ShortenedNames {
  /** Original node name → its short name, for nodes that had a name. */
  readonly nodes: ReadonlyMap<string, string>;
  /** Tensors renamed (graph inputs and outputs keep their names). */
  readonly tensors: number;
  /** Bytes of names before and after (node and tensor names, each counted once per definition). */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/**
 * Replaces every tensor and node name except the graph's inputs and outputs with a short base-36 id
 * (`0`, `1`, … `z`, `10`…), in graph order, and drops value_info, doc strings and attributes that
 * restate defaults: in a small int8 model the names were about a third of the file. Mutates `model` (callers pass their own copy).
 * Graphs with subgraphs (If/Loop/Scan) are left as they are, since bodies may capture outer names.
 */
export function shortenNames(model: onnx.ModelProto): ShortenedNames {
  const graph = model.graph!;
  const nodesMap = new Map<string, string>();
  if ((graph.node ?? []).some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length > 0))) {
    return { nodes: nodesMap, tensors: 0, bytesBefore: 0, bytesAfter: 0 };
  }
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const kept = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? '').filter((n) => !initializerNames.has(n)),
    ...(graph.output ?? []).map((v) => v.name ?? ''),
  ]);
  let counter = 0;
  const next = (): string => {
    for (;;) {
      const id = (counter++).toString(36);
      if (!kept.has(id)) return id;
    }
  };
  const renamed = new Map<string, string>();
  let bytesBefore = 0;
  let bytesAfter = 0;
  const rename = (name: string): string => {
    if (!name || kept.has(name)) return name;
    let short = renamed.get(name);
    if (short === undefined) {
      short = next();
      renamed.set(name, short);
      bytesBefore += Buffer.byteLength(name);
      bytesAfter += short.length;
    }
    return short;
  };

  for (const t of graph.initializer ?? []) t.name = rename(t.name ?? '');
  for (const node of graph.node ?? []) {
    node.input = (node.input ?? []).map(rename);
    node.output = (node.output ?? []).map(rename);
  }
  for (const node of graph.node ?? []) {
    const original = node.name ?? '';
    const short = next();
    bytesBefore += Buffer.byteLength(original);
    bytesAfter += short.length;
    if (original) nodesMap.set(original, short);
    node.name = short;
    node.docString = '';
  }
  // IR < 4 lists initializers among the inputs too.
  for (const v of graph.input ?? []) v.name = rename(v.name ?? '');
  graph.valueInfo = [];
  graph.docString = '';
  model.docString = '';
  dropDefaultAttributes(graph);
  return { nodes: nodesMap, tensors: renamed.size, bytesBefore, bytesAfter };
}

type DefaultCheck = (a: onnx.IAttributeProto) => boolean;
const isInt = (value: number): DefaultCheck => (a) => a.type === AT.INT && int64ToNumber(a.i) === value;
const isFloat = (value: number): DefaultCheck => (a) => a.type === AT.FLOAT && a.f === value;
const allInts = (value: number): DefaultCheck => (a) => a.type === AT.INTS && (a.ints ?? []).every((v) => int64ToNumber(v) === value);
const isString = (value: string): DefaultCheck => (a) => a.type === AT.STRING && new TextDecoder().decode(a.s ?? new Uint8Array()) === value;

const CONV_DEFAULTS: Record<string, DefaultCheck> = { auto_pad: isString('NOTSET'), dilations: allInts(1), group: isInt(1), pads: allInts(0), strides: allInts(1) };
const POOL_DEFAULTS: Record<string, DefaultCheck> = { auto_pad: isString('NOTSET'), ceil_mode: isInt(0), dilations: allInts(1), pads: allInts(0), strides: allInts(1), storage_order: isInt(0), count_include_pad: isInt(0) };
const DEFAULTS: Record<string, Record<string, DefaultCheck>> = {
  Conv: CONV_DEFAULTS,
  ConvInteger: CONV_DEFAULTS,
  MaxPool: POOL_DEFAULTS,
  AveragePool: POOL_DEFAULTS,
  Gemm: { alpha: isFloat(1), beta: isFloat(1), transA: isInt(0), transB: isInt(0) },
  Flatten: { axis: isInt(1) },
};

/** Removes attributes that only restate the op's default (dilations 1, group 1, alpha 1…). Returns how many. */
export function dropDefaultAttributes(graph: onnx.IGraphProto): number {
  let dropped = 0;
  for (const node of graph.node ?? []) {
    const defaults = (node.domain ?? '') === '' ? DEFAULTS[node.opType ?? ''] : undefined;
    if (!defaults) continue;
    const kept = (node.attribute ?? []).filter((a) => !defaults[a.name ?? '']?.(a));
    dropped += (node.attribute ?? []).length - kept.length;
    node.attribute = kept;
  }
  return dropped;
}
