import { CompressError } from '../../errors.js';
import { attrFloat, attrInt, attrInts, findAttribute, attr } from '../../ir/attributes.js';
import { GraphIndex } from '../../ir/graph.js';
import { int64ToNumber, onnx } from '../../ir/onnx.js';
import { makeTensor } from '../../ir/tensor-data.js';

const DT = onnx.TensorProto.DataType;
const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

/**
 * Ops whose inference semantics did not change between opset 7 and 13 (new attributes only ever
 * default to the old behaviour, or widen the accepted types). Any other op in a model being upgraded
 * must have a conversion below, or the upgrade is refused.
 */
const UNCHANGED = new Set([
  'Abs', 'Acos', 'Acosh', 'Add', 'And', 'ArgMax', 'ArgMin', 'Asin', 'Asinh', 'Atan', 'Atanh', 'AveragePool',
  'BatchNormalization', 'Cast', 'Ceil', 'Concat', 'Constant', 'ConstantOfShape', 'Conv', 'ConvTranspose', 'Cos', 'Cosh',
  'DepthToSpace', 'DequantizeLinear', 'Div', 'Einsum', 'Elu', 'Equal', 'Erf', 'Exp', 'Expand', 'Flatten', 'Floor', 'Gather',
  'GatherElements', 'GatherND', 'Gemm', 'GlobalAveragePool', 'GlobalLpPool', 'GlobalMaxPool', 'Greater', 'HardSigmoid',
  'Identity', 'InstanceNormalization', 'IsNaN', 'LRN', 'LeakyRelu', 'Less', 'Log', 'LpNormalization', 'LpPool', 'MatMul',
  'MatMulInteger', 'ConvInteger', 'Max', 'MaxPool', 'Mean', 'Min', 'Mul', 'Neg', 'NonZero', 'Not', 'Or', 'PRelu', 'Pow',
  'QuantizeLinear', 'Range', 'Reciprocal', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceMax',
  'ReduceMean', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'Relu', 'Reshape', 'Selu', 'Shape', 'Sigmoid', 'Sign', 'Sin',
  'Sinh', 'Size', 'Softplus', 'Softsign', 'SpaceToDepth', 'Sqrt', 'Sub', 'Sum', 'Tan', 'Tanh', 'Tile', 'Transpose', 'Where',
  'Xor', 'DynamicQuantizeLinear', 'QLinearConv', 'QLinearMatMul', 'Slice', 'TopK',
]);

const OLDEST_UPGRADABLE = 7;

/**
 * Rewrites a model (in place; callers pass a clone) from its default-domain opset to `target`,
 * converting the ops whose attributes became inputs (Clip, Pad, Squeeze, Unsqueeze, ReduceSum, Split,
 * Slice, TopK), whose semantics changed (Softmax family before 13, Dropout) and refusing the rest
 * with `model/unsupported`. Returns notes on what changed.
 */
export function upgradeOpset(model: onnx.ModelProto, target: number): string[] {
  const opset = model.opsetImport.find((o) => DEFAULT_DOMAINS.has(o.domain ?? ''));
  const from = opset ? int64ToNumber(opset.version) : target;
  if (from >= target) return [];
  if (from < OLDEST_UPGRADABLE) {
    throw new CompressError('model/unsupported', 'quantize', `opset ${from} is too old to upgrade to ${target} (the quantizer needs opset ≥ 13 for per-channel scales); re-export the model with opset ≥ 13`);
  }
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const ranks = knownRanks(graph);
  const problems: string[] = [];
  const notes: string[] = [];
  const added: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  const constant = (base: string, dataType: number, dims: number[], data: Float32Array | BigInt64Array): string => {
    const name = index.uniqueName(base);
    added.push(makeTensor(name, dataType as typeof DT.FLOAT, dims, data as Float32Array));
    return name;
  };
  const int64s = (base: string, values: readonly number[]) => constant(base, DT.INT64, [values.length], BigInt64Array.from(values.map(BigInt)));
  const dropAttributes = (node: onnx.INodeProto, names: readonly string[]) => {
    node.attribute = (node.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
  };
  const converted = new Map<string, number>();
  const count = (op: string) => converted.set(op, (converted.get(op) ?? 0) + 1);

  for (const node of graph.node ?? []) {
    nodes.push(node);
    if (!DEFAULT_DOMAINS.has(node.domain ?? '')) continue;
    if ((node.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length > 0)) {
      problems.push(`${describe(node)} has a subgraph, which the upgrade does not rewrite`);
      continue;
    }
    const op = node.opType ?? '';
    const base = node.name || op;
    switch (op) {
      case 'Clip': {
        if (from >= 11) break;
        const min = findAttribute(node, 'min');
        const max = findAttribute(node, 'max');
        const inputs = [node.input![0]!, '', ''];
        if (min) inputs[1] = constant(`${base}_min`, DT.FLOAT, [], Float32Array.of(attrFloat(node, 'min', 0)));
        if (max) inputs[2] = constant(`${base}_max`, DT.FLOAT, [], Float32Array.of(attrFloat(node, 'max', 0)));
        node.input = max ? inputs : min ? inputs.slice(0, 2) : inputs.slice(0, 1);
        dropAttributes(node, ['min', 'max']);
        count(op);
        break;
      }
      case 'Pad': {
        if (from >= 11) break;
        const pads = attrInts(node, 'pads') ?? [];
        const value = attrFloat(node, 'value', 0);
        node.input = [node.input![0]!, int64s(`${base}_pads`, pads), ...(value !== 0 ? [constant(`${base}_value`, DT.FLOAT, [], Float32Array.of(value))] : [])];
        dropAttributes(node, ['pads', 'value']);
        count(op);
        break;
      }
      case 'Squeeze':
      case 'Unsqueeze':
      case 'ReduceSum': {
        const axes = attrInts(node, 'axes');
        if (axes) node.input = [node.input![0]!, int64s(`${base}_axes`, axes)];
        dropAttributes(node, ['axes']);
        count(op);
        break;
      }
      case 'Split': {
        const split = attrInts(node, 'split');
        if (split) node.input = [node.input![0]!, int64s(`${base}_split`, split)];
        dropAttributes(node, ['split']);
        count(op);
        break;
      }
      case 'Slice': {
        if (from >= 10) break;
        const starts = attrInts(node, 'starts') ?? [];
        const ends = attrInts(node, 'ends') ?? [];
        const axes = attrInts(node, 'axes');
        node.input = [node.input![0]!, int64s(`${base}_starts`, starts), int64s(`${base}_ends`, ends), ...(axes ? [int64s(`${base}_axes`, axes)] : [])];
        dropAttributes(node, ['starts', 'ends', 'axes']);
        count(op);
        break;
      }
      case 'TopK': {
        if (from >= 10) break;
        node.input = [node.input![0]!, int64s(`${base}_k`, [attrInt(node, 'k', 1)])];
        dropAttributes(node, ['k']);
        count(op);
        break;
      }
      case 'Dropout': {
        const mask = node.output?.[1];
        if (mask && (index.consumers(mask).length > 0 || index.isGraphOutput(mask))) {
          problems.push(`${describe(node)} uses its mask output`);
          break;
        }
        node.opType = 'Identity';
        node.input = [node.input![0]!];
        node.output = [node.output![0]!];
        node.attribute = [];
        count(op);
        break;
      }
      case 'BatchNormalization': {
        if (from < 9 && attrInt(node, 'spatial', 1) !== 1) problems.push(`${describe(node)} has spatial=0`);
        dropAttributes(node, ['spatial']);
        break;
      }
      case 'Softmax':
      case 'LogSoftmax':
      case 'Hardmax': {
        // Before opset 13 these flatten the input to 2-D at `axis` (default 1); since 13 they work along one axis.
        const axis = attrInt(node, 'axis', 1);
        const rank = ranks.get(node.input![0]!);
        if (rank !== undefined && (axis === rank - 1 || axis === -1)) {
          node.attribute = [attr.int('axis', -1)];
        } else {
          nodes.pop();
          const x = node.input![0]!;
          const shape = index.uniqueName(`${base}_shape`);
          const flat = index.uniqueName(`${base}_2d`);
          const y = index.uniqueName(`${base}_out2d`);
          nodes.push(
            { opType: 'Shape', name: index.uniqueName(`${base}_Shape`), input: [x], output: [shape], domain: '' },
            { opType: 'Flatten', name: index.uniqueName(`${base}_Flatten`), input: [x], output: [flat], attribute: [attr.int('axis', axis)], domain: '' },
            { opType: op, name: node.name ?? '', input: [flat], output: [y], attribute: [attr.int('axis', -1)], domain: '' },
            { opType: 'Reshape', name: index.uniqueName(`${base}_Reshape`), input: [y, shape], output: [node.output![0]!], domain: '' },
          );
        }
        count(op);
        break;
      }
      default:
        if (!UNCHANGED.has(op)) problems.push(`${describe(node)}: no rule to upgrade ${op} from opset ${from}`);
    }
  }
  if (problems.length > 0) {
    throw new CompressError('model/unsupported', 'quantize', `cannot upgrade opset ${from} → ${target} (needed for per-channel scales; try perChannel: false): ${problems.slice(0, 5).join('; ')}`);
  }
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []), ...added];
  opset!.version = target;
  if (int64ToNumber(model.irVersion) < 7) model.irVersion = 7;
  notes.push(`upgraded opset ${from} → ${target}${converted.size > 0 ? ` (converted ${[...converted].map(([op, n]) => `${n} ${op}`).join(', ')})` : ''}`);
  return notes;
}

function describe(node: onnx.INodeProto): string {
  return `node "${node.name || node.output?.[0]}" (${node.opType})`;
}

/** Ranks recorded in the graph's inputs, outputs and value_info. */
function knownRanks(graph: onnx.IGraphProto): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    const shape = v.type?.tensorType?.shape;
    if (shape) ranks.set(v.name ?? '', (shape.dim ?? []).length);
  }
  for (const t of graph.initializer ?? []) ranks.set(t.name ?? '', (t.dims ?? []).length);
  return ranks;
}

