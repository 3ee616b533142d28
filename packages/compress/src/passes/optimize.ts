import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompressError, describeCause } from '../errors.js';
import { attr, attrFloat, attrInt, setAttribute } from '../ir/attributes.js';
import { hasExternalData } from '../ir/external-data.js';
import { GraphIndex, removeUnusedInitializers, sortGraphInPlace } from '../ir/graph.js';
import { initializerBytes, isDefaultDomain, opHistogram, opKey } from '../ir/graph-stats.js';
import { cloneModelProto, encodeModelProto, loadModelProto } from '../ir/model-proto.js';
import { onnx } from '../ir/onnx.js';
import { makeTensor, readFloat32 } from '../ir/tensor-data.js';
import { tensorDims } from '../ir/tensors.js';
import { constantTensor, removeDeadNodes } from './graph-edit.js';
import type { PassResult } from './pass-result.js';
import { openSession, probeValueMetadata, type ValueMetadata } from './value-metadata.js';

/**
 * How far onnxruntime may rewrite the graph.
 * - `basic`: portable, standard-ONNX rewrites only (constant folding, redundant node elimination,
 *   Conv+BatchNormalization/Add/Mul fusions…). The result runs on any ONNX runtime.
 * - `extended`: adds fusions into onnxruntime's own `com.microsoft` ops (FusedConv, FusedGemm…).
 *   Only valid where the target runs onnxruntime on the CPU execution provider.
 */
export type OptimizationLevel = 'basic' | 'extended';

export interface OptimizeOptions {
  readonly level: OptimizationLevel;
  /**
   * Also fold a BatchNormalization into the Gemm it feeds (through shape-only
   * Squeeze/Unsqueeze/Reshape/Flatten nodes). onnxruntime only fuses BatchNormalization into a
   * *preceding* Conv; one that follows an activation (Gemm → Relu → BN → Gemm) stays, and folding
   * it forward into the next linear layer is exact.
   * @defaultValue true
   */
  readonly foldBatchNormIntoGemm?: boolean;
}

const LEVELS: readonly OptimizationLevel[] = ['basic', 'extended'];
// Removed-node lists are for people reading the report; keep them readable on big models.
const MAX_LISTED_NODES = 200;

/**
 * Offline graph optimization by onnxruntime: the model is loaded into an InferenceSession at the
 * requested optimization level with `optimizedModelFilePath` pointing at a temporary file, and the
 * rewritten model ORT saves there is read back (the temporary file is always removed). Before
 * that, BatchNormalizations that feed a Gemm are folded into it (see `foldBatchNormIntoGemm`).
 *
 * Graph input and output names are kept; outputs stay equal within float rounding (fusions reorder
 * arithmetic). The report lists the op histogram before and after, node counts and the removed nodes.
 *
 * @remarks Opset imports ORT adds for domains the result does not use are dropped again.
 * @throws CompressError `pass/invalid_options` for an unknown level, `model/external_data_unsupported`
 * when weights still live in external files, `model/runtime_rejected` when onnxruntime cannot load the model.
 * @see https://onnxruntime.ai/docs/performance/model-optimizations/graph-optimizations.html
 */
export async function optimize(model: onnx.ModelProto, options: OptimizeOptions): Promise<PassResult> {
  const level = options?.level;
  if (!LEVELS.includes(level)) {
    throw new CompressError('pass/invalid_options', 'optimize', `level must be one of ${LEVELS.join(', ')}; got ${JSON.stringify(level)}`);
  }
  const foldBatchNorm = options.foldBatchNormIntoGemm ?? true;
  if (typeof foldBatchNorm !== 'boolean') {
    throw new CompressError('pass/invalid_options', 'optimize', 'foldBatchNormIntoGemm must be a boolean');
  }
  if (hasExternalData(model)) {
    throw new CompressError('model/external_data_unsupported', 'optimize', 'model keeps tensors in external data files; load it with readModelFile first');
  }
  const graphBefore = model.graph ?? {};
  // Fold first, so that onnxruntime's own fusions (FusedGemm at `extended`) see the folded Gemm.
  const work = cloneModelProto(model);
  const folded = foldBatchNorm ? await foldBatchNormsIntoGemm(work) : [];
  const optimized = await runOrtOptimizer(encodeModelProto(work), level);
  restoreModelMetadata(model, optimized);
  const graphAfter = optimized.graph ?? {};

  const before = nodeKeys(graphBefore);
  const after = nodeKeys(graphAfter);
  const removedNodes = [...before].filter((key) => !after.has(key));
  const addedNodes = [...after].filter((key) => !before.has(key));
  const opsBefore = opHistogram(graphBefore);
  const opsAfter = opHistogram(graphAfter);
  const customOps = Object.keys(opsAfter).filter((key) => key.includes(':'));

  const notes: string[] = [
    `${(graphBefore.node ?? []).length} → ${(graphAfter.node ?? []).length} nodes at level "${level}"`,
  ];
  const bnBefore = opsBefore['BatchNormalization'] ?? 0;
  const bnAfter = opsAfter['BatchNormalization'] ?? 0;
  if (bnBefore > 0) notes.push(`${bnBefore - bnAfter} of ${bnBefore} BatchNormalization nodes fused or folded (${folded.length} into a following Gemm)`);
  if (customOps.length > 0) {
    notes.push(`uses onnxruntime-specific ops (${customOps.join(', ')}): deploy only where the target runs onnxruntime on the CPU`);
  }
  const skipped = (graphAfter.node ?? [])
    .filter((node) => node.opType === 'BatchNormalization' && isDefaultDomain(node.domain))
    .map((node) => ({ node: node.name || node.output?.[0] || 'BatchNormalization', reason: 'BatchNormalization neither follows a Conv nor feeds a Gemm; left unfused' }));

  return {
    model: optimized,
    report: {
      pass: 'optimize',
      changed: removedNodes.length + addedNodes.length,
      skipped,
      notes,
      details: {
        level,
        nodesBefore: (graphBefore.node ?? []).length,
        nodesAfter: (graphAfter.node ?? []).length,
        opsBefore,
        opsAfter,
        removedNodes: removedNodes.slice(0, MAX_LISTED_NODES),
        addedNodes: addedNodes.slice(0, MAX_LISTED_NODES),
        batchNormFoldedIntoGemm: folded,
        onnxruntimeSpecificOps: customOps,
        initializerBytesBefore: initializerBytes(graphBefore),
        initializerBytesAfter: initializerBytes(graphAfter),
      },
    },
  };
}

async function runOrtOptimizer(bytes: Uint8Array, level: OptimizationLevel): Promise<onnx.ModelProto> {
  const dir = await mkdtemp(path.join(tmpdir(), 'edgefleet-optimize-'));
  try {
    const file = path.join(dir, 'optimized.onnx');
    const session = await openSession(bytes, { graphOptimizationLevel: level, optimizedModelFilePath: file }, 'optimize');
    await session.release();
    let written: Uint8Array;
    try {
      written = await readFile(file);
    } catch (err) {
      throw new CompressError('model/runtime_rejected', 'optimize', `onnxruntime did not write the optimized model: ${describeCause(err)}`, { cause: err });
    }
    return loadModelProto(written);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * ORT declares every domain it knows (training, nchwc, aten…) in the saved model; keep the
 * original imports plus the domains the result really uses, and the metadata ORT may drop.
 */
function restoreModelMetadata(original: onnx.IModelProto, optimized: onnx.ModelProto): void {
  const declared = new Set((original.opsetImport ?? []).map((o) => o.domain ?? ''));
  const used = new Set((optimized.graph?.node ?? []).map((n) => n.domain ?? ''));
  optimized.opsetImport = optimized.opsetImport.filter((o) => declared.has(o.domain ?? '') || used.has(o.domain ?? ''));
  if ((optimized.metadataProps ?? []).length === 0 && (original.metadataProps ?? []).length > 0) {
    optimized.metadataProps = (original.metadataProps ?? []).map((entry) => onnx.StringStringEntryProto.create({ key: entry.key ?? '', value: entry.value ?? '' }));
  }
}

function nodeKeys(graph: onnx.IGraphProto): Set<string> {
  return new Set((graph.node ?? []).map((node) => `${opKey(node)} ${node.name || (node.output ?? []).join(',')}`));
}

// ---- BatchNormalization → following Gemm ------------------------------------------------------

const SHAPE_ONLY_OPS = new Set(['Squeeze', 'Unsqueeze', 'Reshape', 'Flatten']);

/**
 * y = a ⊙ x + b per feature (a = scale/√(var+ε), b = bias − mean·a), and Gemm(y) = α·y·B + β·C, so
 * Gemm(y) = α·x·(diag(a)·B) + (β·C + α·b·B): the BN disappears into the Gemm's weights and bias.
 * Only done where the BN input is [N, C, 1…] and the Gemm reads the same N×C values in order.
 */
async function foldBatchNormsIntoGemm(model: onnx.ModelProto): Promise<string[]> {
  const graph = model.graph;
  if (!graph || !(graph.node ?? []).some((n) => n.opType === 'BatchNormalization')) return [];
  const meta = await probeValueMetadata(model, 'optimize');
  const folded: string[] = [];
  for (const bn of [...(graph.node ?? [])]) {
    if (bn.opType !== 'BatchNormalization' || !isDefaultDomain(bn.domain)) continue;
    const index = new GraphIndex(graph);
    const plan = planBatchNormFold(index, bn, meta);
    if (!plan) continue;
    applyBatchNormFold(index, plan);
    folded.push(bn.name || bn.output?.[0] || 'BatchNormalization');
  }
  if (folded.length > 0) {
    removeDeadNodes(graph);
    removeUnusedInitializers(graph);
    sortGraphInPlace(graph);
  }
  return folded;
}

interface BatchNormFold {
  bn: onnx.INodeProto;
  gemm: onnx.INodeProto;
  /** Where the Gemm reads from afterwards: the BN input itself, or an earlier value of the same [N, C] shape. */
  newGemmInput: string;
  firstChainNode: onnx.INodeProto | undefined;
  a: Float64Array;
  b: Float64Array;
}

function planBatchNormFold(index: GraphIndex, bn: onnx.INodeProto, meta: ReadonlyMap<string, ValueMetadata>): BatchNormFold | undefined {
  const inputs = bn.input ?? [];
  const y = bn.output?.[0];
  if (!y || (bn.output ?? []).slice(1).some((o) => o)) return undefined;
  if (attrInt(bn, 'training_mode', 0) !== 0) return undefined;
  const params = inputs.slice(1, 5).map((name) => constantTensor(index, name));
  if (params.length !== 4 || params.some((t) => !t)) return undefined;
  const [scale, bias, mean, variance] = params.map((t) => readFloat32(t!));
  const channels = scale!.length;
  if (![bias, mean, variance].every((p) => p!.length === channels)) return undefined;

  const xShape = meta.get(inputs[0] ?? '')?.shape;
  if (!xShape || xShape.length < 2 || xShape[1] !== channels || xShape.slice(2).some((d) => d !== 1)) return undefined;

  // Follow the BN output through single-consumer shape-only nodes to one Gemm.
  let value = y;
  let firstChainNode: onnx.INodeProto | undefined;
  for (;;) {
    if (index.isGraphOutput(value)) return undefined;
    const consumers = index.consumers(value);
    if (consumers.length !== 1) return undefined;
    const next = consumers[0]!;
    if (SHAPE_ONLY_OPS.has(next.opType ?? '') && isDefaultDomain(next.domain) && next.input?.[0] === value) {
      firstChainNode ??= next;
      value = next.output?.[0] ?? '';
      continue;
    }
    if (next.opType !== 'Gemm' || !isDefaultDomain(next.domain) || next.input?.[0] !== value) return undefined;
    if (attrInt(next, 'transA', 0) !== 0) return undefined;
    const aShape = meta.get(value)?.shape;
    if (!aShape || aShape.length !== 2 || aShape[1] !== channels) return undefined;
    const weight = constantTensor(index, next.input?.[1] ?? '');
    if (!weight || tensorDims(weight).length !== 2) return undefined;
    const gemmBias = next.input?.[2] ? constantTensor(index, next.input[2]) : undefined;
    if (next.input?.[2] && !gemmBias) return undefined;
    const outFeatures = tensorDims(weight)[attrInt(next, 'transB', 0) ? 0 : 1]!;
    if (gemmBias && !isRowBroadcast(tensorDims(gemmBias), outFeatures)) return undefined;
    const epsilon = attrFloat(bn, 'epsilon', 1e-5);
    const a = new Float64Array(channels);
    const b = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      a[c] = scale![c]! / Math.sqrt(variance![c]! + epsilon);
      b[c] = bias![c]! - mean![c]! * a[c]!;
    }
    return { bn, gemm: next, newGemmInput: shortcut(index, inputs[0]!, aShape, meta), firstChainNode, a, b };
  }
}

/**
 * With the BN gone, the shape-only chain around it may reshape a value back to the shape it had
 * (Gemm → Unsqueeze → BN → Squeeze → Gemm): walk back from the BN input through single-consumer
 * shape-only nodes and read the earliest value that already has the Gemm's [N, C] shape.
 */
function shortcut(index: GraphIndex, bnInput: string, gemmInputShape: readonly (number | string)[], meta: ReadonlyMap<string, ValueMetadata>): string {
  let best = bnInput;
  let value = bnInput;
  for (;;) {
    const producer = index.producer(value);
    if (!producer || !SHAPE_ONLY_OPS.has(producer.opType ?? '') || !isDefaultDomain(producer.domain)) break;
    if (index.consumers(value).length !== 1 || index.isGraphOutput(value)) break;
    value = producer.input?.[0] ?? '';
    const shape = meta.get(value)?.shape;
    if (shape && shape.length === 2 && shape[1] === gemmInputShape[1]) best = value;
  }
  return best;
}

function isRowBroadcast(dims: readonly number[], n: number): boolean {
  return dims.length === 0 || (dims.length === 1 && (dims[0] === 1 || dims[0] === n)) || (dims.length === 2 && dims[0] === 1 && (dims[1] === n || dims[1] === 1));
}

function applyBatchNormFold(index: GraphIndex, plan: BatchNormFold): void {
  const { gemm, a, b } = plan;
  const graph = index.graph;
  const weightTensor = constantTensor(index, gemm.input![1]!)!;
  const [rows, cols] = tensorDims(weightTensor) as [number, number];
  const w = readFloat32(weightTensor);
  const transB = attrInt(gemm, 'transB', 0) !== 0;
  const alpha = attrFloat(gemm, 'alpha', 1);
  const beta = attrFloat(gemm, 'beta', 1);
  const k = a.length;
  const outFeatures = transB ? rows : cols;
  // B[k, j] in the untransposed view.
  const at = (kk: number, j: number) => (transB ? j * cols + kk : kk * cols + j);
  const scaled = new Float32Array(w.length);
  const shift = new Float64Array(outFeatures);
  for (let kk = 0; kk < k; kk++) {
    for (let j = 0; j < outFeatures; j++) {
      const i = at(kk, j);
      scaled[i] = w[i]! * a[kk]!;
      shift[j] += alpha * b[kk]! * w[i]!;
    }
  }
  const biasName = gemm.input?.[2];
  const oldBias = biasName ? constantTensor(index, biasName) : undefined;
  const oldBiasValues = oldBias ? readFloat32(oldBias) : undefined;
  const useOldBias = oldBiasValues !== undefined && beta !== 0;
  const newBias = new Float32Array(outFeatures);
  for (let j = 0; j < outFeatures; j++) {
    const old = useOldBias ? oldBiasValues![oldBiasValues!.length === 1 ? 0 : j]! : 0;
    // Keep β: the new C is divided by it so that β·C' = β·C + α·b·B.
    newBias[j] = useOldBias ? old + shift[j]! / beta : shift[j]!;
  }
  const base = gemm.name || gemm.output?.[0] || 'gemm';
  const weightName = index.uniqueName(`${base}_bn_folded_weight`);
  const biasOut = index.uniqueName(`${base}_bn_folded_bias`);
  graph.initializer = [
    ...(graph.initializer ?? []),
    makeTensor(weightName, onnx.TensorProto.DataType.FLOAT, [rows, cols], scaled),
    makeTensor(biasOut, onnx.TensorProto.DataType.FLOAT, [outFeatures], newBias),
  ];
  if (!useOldBias) setAttribute(gemm, attr.float('beta', 1));
  const bnInput = plan.bn.input![0]!;
  if (plan.newGemmInput !== bnInput || !plan.firstChainNode) {
    gemm.input = [plan.newGemmInput, weightName, biasOut];
  } else {
    plan.firstChainNode.input![0] = bnInput;
    gemm.input = [gemm.input![0]!, weightName, biasOut];
  }
}
