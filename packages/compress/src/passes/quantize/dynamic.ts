import { CompressError } from '../../errors.js';
import { encodeModelProto } from '../../ir/model-proto.js';
import type { onnx } from '../../ir/onnx.js';
import type { PassResult } from '../pass-result.js';
import { buildDynamicModel } from './dynamic-graph.js';
import { excludedNodes, findLayers } from './layers.js';
import { DYNAMIC_OP_TYPES } from './ops.js';
import { prepareForQuantization } from './prepare.js';
import { shortenNames } from './rename.js';
import type { LayerDecision, QuantizeDynamicOptions, QuantizeReportDetails } from './types.js';

const PASS = 'quantize-dynamic';

/**
 * Dynamic int8 quantization, for targets without calibration data: weights of Conv, Gemm and
 * MatMul become symmetric int8 (per output channel by default), activations are quantized at run
 * time (DynamicQuantizeLinear → ConvInteger/MatMulInteger → scale multiply and bias add in float).
 * onnxruntime's CPU provider runs it as is and fuses the MatMul chains into DynamicQuantizeMatMul.
 * BatchNormalization is folded into Conv first, so it shrinks with the weights.
 *
 * @throws CompressError `pass/invalid_options` for bad options, `model/unsupported` when the opset
 *   cannot be upgraded to 13.
 */
export async function quantizeDynamic(model: onnx.ModelProto, options: QuantizeDynamicOptions = {}): Promise<PassResult> {
  if (typeof options !== 'object' || options === null) throw new CompressError('pass/invalid_options', 'quantize', 'options must be an object');
  if (options.perChannel !== undefined && typeof options.perChannel !== 'boolean') {
    throw new CompressError('pass/invalid_options', 'quantize', `perChannel must be a boolean, got ${JSON.stringify(options.perChannel)}`);
  }
  const perChannel = options.perChannel ?? true;
  const excluded = excludedNodes(model, options.exclude);
  const prepared = prepareForQuantization(model);
  const quantize = new Set(
    (prepared.model.graph!.node ?? []).filter((n) => DYNAMIC_OP_TYPES.includes(n.opType ?? '') && !excluded.has(n.name ?? '')).map((n) => n.name ?? ''),
  );
  const built = buildDynamicModel(prepared.model, { perChannel, quantize });
  const output = built.model;
  const names = options.shortenNames === false ? null : shortenNames(output);
  const before = encodeModelProto(model).length;
  const after = encodeModelProto(output).length;
  const quantized = new Set(built.quantized);
  const skipped = new Map(built.skipped.map((s) => [s.node, s.reason]));
  const layers: LayerDecision[] = findLayers(prepared.model, perChannel)
    .filter((l) => DYNAMIC_OP_TYPES.includes(l.op))
    .map((l) => {
      const base = { layer: l.name, op: l.op, floatBytes: l.floatBytes, int8Bytes: l.int8Bytes };
      if (quantized.has(l.name)) return { ...base, node: null, precision: 'int8', reason: 'quantized' };
      if (excluded.has(l.name)) return { ...base, node: names?.nodes.get(l.name) ?? l.name, precision: 'float', reason: 'excluded' };
      return { ...base, node: names?.nodes.get(l.name) ?? l.name, precision: 'float', reason: 'unsupported', detail: skipped.get(l.name) ?? 'not quantizable' };
    });
  const details: QuantizeReportDetails = {
    mode: 'dynamic',
    activationType: 'dynamic-uint8',
    perChannel,
    calibration: null,
    prepared: { foldedBatchNorms: prepared.foldedBatchNorms, foldedPads: prepared.foldedPads, removedIdentities: prepared.removedIdentities },
    bytes: { before, after, ratio: after / before },
    names: names ? { renamedTensors: names.tensors, bytesBefore: names.bytesBefore, bytesAfter: names.bytesAfter } : null,
    layers,
    floatLayers: layers.filter((l) => l.precision === 'float').map((l) => l.layer),
    maxWeightErrorInScales: built.weights.reduce((a, w) => Math.max(a, w.maxErrorInScales), 0),
    clampedBiasValues: 0,
    auto: null,
  };
  return {
    model: output,
    report: {
      pass: PASS,
      changed: built.quantized.length,
      skipped: layers.filter((l) => l.precision === 'float').map((l) => ({ node: l.layer, reason: l.detail ?? l.reason })),
      notes: [
        ...prepared.notes,
        `${built.quantized.length} of ${layers.length} Conv/Gemm/MatMul layers with int8 weights (${perChannel ? 'per-channel' : 'per-tensor'}), activations quantized at run time`,
        `${before} → ${after} bytes (${(after / before).toFixed(3)}×)`,
      ],
      details: details as unknown as Record<string, unknown>,
    },
  };
}
