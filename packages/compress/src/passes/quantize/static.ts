import { CompressError } from '../../errors.js';
import { encodeModelProto } from '../../ir/model-proto.js';
import type { onnx } from '../../ir/onnx.js';
import type { PassResult } from '../pass-result.js';
import { autoSelectFloatLayers } from './auto.js';
import { calibrate, checkCalibrateOptions, type CalibrateOptions, type CalibrationResult } from './calibrate.js';
import { excludedNodes, findLayers, type Layer } from './layers.js';
import { STATIC_OP_TYPES } from './ops.js';
import { prepareForQuantization } from './prepare.js';
import { buildQdqModel, tensorsToCalibrate, type QdqResult, type TensorRange } from './qdq.js';
import { shortenNames } from './rename.js';
import type { AutoQuantizeOptions, AutoQuantizeReport, LayerDecision, QuantizeReportDetails, QuantizeStaticOptions } from './types.js';

const PASS = 'quantize-static';
/** Gemm → MatMul + Add, since onnxruntime fuses QDQ MatMul and Add but not Gemm. */
const PREPARE = { gemmToMatMul: true } as const;

/**
 * Static int8 quantization in QDQ format, calibrated on the model's own data.
 *
 * Pipeline: prepare a float copy (opset 13, BatchNorm and Pad folded into Conv, Identity/Dropout
 * removed) → calibrate activation ranges by streaming `options.calibration` through onnxruntime →
 * decide which layers stay float (exclusions, and with `auto` the engine's own latency and fidelity
 * measurements) → insert QuantizeLinear/DequantizeLinear pairs with int8 per-channel weights, int32
 * biases and uint8 activations → shorten internal names.
 *
 * The result is a standard ONNX model; onnxruntime fuses its QDQ groups into QLinearConv, QGemm,
 * QLinearAdd… when a session is created with graph optimizations on (the default, 'all').
 *
 * @throws CompressError `pass/invalid_options` (bad options, unknown excluded node),
 *   `dataset/mismatch` (the dataset cannot feed the model), `model/unsupported` (an opset that cannot
 *   be upgraded to 13), `model/runtime_rejected` (onnxruntime refuses the model).
 */
export async function quantizeStatic(model: onnx.ModelProto, options: QuantizeStaticOptions): Promise<PassResult> {
  checkStaticOptions(options);
  const activationType = options.activationType ?? 'uint8';
  const perChannel = options.perChannel ?? true;
  const excluded = excludedNodes(model, options.exclude);
  const prepared = prepareForQuantization(model, PREPARE);
  const layers = findLayers(prepared.model, perChannel);
  const candidates = new Set(
    (prepared.model.graph!.node ?? []).filter((n) => STATIC_OP_TYPES.includes(n.opType ?? '') && !excluded.has(n.name ?? '')).map((n) => n.name ?? ''),
  );
  // A layer is quantized whole or not at all: excluding its compute node, bias Add or activation
  // keeps all of them float.
  for (const layer of layers) {
    if (layer.members.some((m) => !candidates.has(m))) for (const m of layer.members) candidates.delete(m);
  }

  const needed = tensorsToCalibrate(prepared.model);
  const calibration: CalibrationResult =
    options.calibrationResult ??
    (await calibrate(prepared.model, options.calibration, {
      method: options.method,
      percentile: options.percentile,
      bins: options.bins,
      maxSamples: options.calibrationSamples,
      batchSize: options.batchSize,
      tensors: needed,
      onBatch: options.onProgress ? (p) => options.onProgress!({ step: `calibration pass ${p.pass}`, done: p.done, total: p.total }) : undefined,
    }));
  const missing = needed.filter((t) => !calibration.tensors.has(t));
  if (missing.length > 0) {
    throw new CompressError(
      'pass/invalid_options',
      'quantize',
      `calibrationResult has no range for ${missing.length} tensor(s) (${missing.slice(0, 3).map((t) => `"${t}"`).join(', ')}); compute it with calibrateForQuantization()`,
    );
  }
  const ranges = new Map<string, TensorRange>([...calibration.tensors].map(([name, c]) => [name, c.range]));

  const build = (floatLayers: ReadonlySet<string>): QdqResult => {
    const quantize = new Set(candidates);
    for (const layer of layers) {
      if (floatLayers.has(layer.name)) for (const m of layer.members) quantize.delete(m);
    }
    return buildQdqModel(prepared.model, { activationType, perChannel, quantize, ranges });
  };

  let floatLayers = new Set<string>();
  let auto: AutoQuantizeReport | null = null;
  if (options.auto) {
    const autoOptions: AutoQuantizeOptions = options.auto === true ? {} : options.auto;
    const selectable = layers.filter((l) => candidates.has(l.name) && !l.problem);
    const decision = await autoSelectFloatLayers({
      reference: prepared.model,
      layers: selectable,
      build: (f) => build(f).model,
      dataset: autoOptions.fidelityData ?? options.calibration,
      options: autoOptions,
      onProgress: options.onProgress,
    });
    floatLayers = new Set(decision.floatLayers);
    auto = decision.report;
  }

  const built = build(floatLayers);
  const output = built.model;
  const names = options.shortenNames === false ? null : shortenNames(output);
  const before = encodeModelProto(model).length;
  const after = encodeModelProto(output).length;
  const decisions = layerDecisions(layers, built, candidates, excluded, floatLayers, auto, names?.nodes);
  const maxWeightErrorInScales = built.weights.reduce((a, w) => Math.max(a, w.maxErrorInScales), 0);
  const details: QuantizeReportDetails = {
    mode: 'static',
    activationType,
    perChannel,
    calibration: { method: calibration.method, percentile: calibration.percentile, samples: calibration.samples, tensors: calibration.tensors.size },
    prepared: { foldedBatchNorms: prepared.foldedBatchNorms, foldedPads: prepared.foldedPads, removedIdentities: prepared.removedIdentities },
    bytes: { before, after, ratio: after / before },
    names: names ? { renamedTensors: names.tensors, bytesBefore: names.bytesBefore, bytesAfter: names.bytesAfter } : null,
    layers: decisions,
    floatLayers: decisions.filter((d) => d.precision === 'float').map((d) => d.layer),
    maxWeightErrorInScales,
    clampedBiasValues: built.clampedBiasValues,
    auto,
  };
  const notes = [
    ...prepared.notes,
    `${decisions.filter((d) => d.precision === 'int8').length} of ${decisions.length} layers in int8 (${activationType} activations, ${perChannel ? 'per-channel' : 'per-tensor'} int8 weights), ${built.absorbed.size} Relu/Clip absorbed`,
    `calibrated ${calibration.tensors.size} tensors on ${calibration.samples} samples (${calibration.method}${calibration.percentile !== null ? ` ${calibration.percentile}` : ''})`,
    `${before} → ${after} bytes (${(after / before).toFixed(3)}×)`,
    ...(built.clampedBiasValues > 0 ? [`${built.clampedBiasValues} bias values exceeded int32 and were clamped`] : []),
    ...(auto?.notes ?? []),
  ];
  return {
    model: output,
    report: {
      pass: PASS,
      changed: built.quantized.length,
      skipped: decisions.filter((d) => d.precision === 'float').map((d) => ({ node: d.layer, reason: d.detail ?? d.reason })),
      notes,
      details: details as unknown as Record<string, unknown>,
    },
  };
}

/**
 * Calibrates `model` the way `quantizeStatic` would (same preparation, same tensors), so that one
 * calibration can be reused across several `quantizeStatic` calls through `calibrationResult`
 * (other activation types, exclusions, auto mode…).
 */
export async function calibrateForQuantization(
  model: onnx.ModelProto,
  npzPath: string,
  options: Omit<CalibrateOptions, 'tensors'> = {},
): Promise<CalibrationResult> {
  const prepared = prepareForQuantization(model, PREPARE);
  return calibrate(prepared.model, npzPath, { ...options, tensors: tensorsToCalibrate(prepared.model) });
}

function layerDecisions(
  layers: readonly Layer[],
  built: QdqResult,
  candidates: ReadonlySet<string>,
  excluded: ReadonlySet<string>,
  floatLayers: ReadonlySet<string>,
  auto: AutoQuantizeReport | null,
  shortNames: ReadonlyMap<string, string> | undefined,
): LayerDecision[] {
  const quantized = new Set(built.quantized);
  const skipped = new Map(built.skipped.map((s) => [s.node, s.reason]));
  const absorbedBy = new Map([...built.absorbed].map(([activation, producer]) => [producer, activation]));
  const autoReasons = new Map((auto?.floatLayers ?? []).map((f) => [f.layer, f.reason]));
  return layers.map((layer) => {
    const base = { layer: layer.name, op: layer.op, node: shortNames?.get(layer.name) ?? layer.name, floatBytes: layer.floatBytes, int8Bytes: layer.int8Bytes };
    if (quantized.has(layer.name)) {
      const activation = absorbedBy.get(layer.name);
      return { ...base, precision: 'int8', reason: 'quantized', ...(activation ? { absorbedActivation: activation } : {}) };
    }
    if (floatLayers.has(layer.name)) return { ...base, precision: 'float', reason: autoReasons.get(layer.name) ?? 'latency' };
    if (layer.members.some((m) => excluded.has(m))) return { ...base, precision: 'float', reason: 'excluded' };
    const detail = layer.problem ?? skipped.get(layer.name) ?? (candidates.has(layer.name) ? 'its inputs are not quantized' : 'not quantizable');
    return { ...base, precision: 'float', reason: 'unsupported', detail };
  });
}

export function checkStaticOptions(options: QuantizeStaticOptions): void {
  const invalid = (detail: string) => new CompressError('pass/invalid_options', 'quantize', detail);
  if (typeof options !== 'object' || options === null) throw invalid('options are required (at least { calibration: <npz path> })');
  if (typeof options.calibration !== 'string' || options.calibration === '') throw invalid('calibration must be the path of an .npz dataset');
  if (options.activationType !== undefined && options.activationType !== 'uint8' && options.activationType !== 'int8') {
    throw invalid(`activationType must be 'uint8' or 'int8', got ${JSON.stringify(options.activationType)}`);
  }
  checkCalibrateOptions({ method: options.method, percentile: options.percentile, bins: options.bins, batchSize: options.batchSize, maxSamples: options.calibrationSamples });
  if (options.auto && options.auto !== true) {
    const a = options.auto;
    const ratio = (name: string, v: number | undefined) => {
      if (v !== undefined && !(v >= 0 && v <= 1)) throw invalid(`auto.${name} must be within 0..1, got ${v}`);
    };
    ratio('minAgreement', a.minAgreement);
    ratio('minCosine', a.minCosine);
    ratio('maxFloatBytesShare', a.maxFloatBytesShare);
    for (const key of ['fidelitySamples', 'threads', 'profileRuns'] as const) {
      const v = a[key];
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw invalid(`auto.${key} must be a positive integer, got ${v}`);
    }
    if (a.maxFloatLayers !== undefined && !(Number.isSafeInteger(a.maxFloatLayers) && a.maxFloatLayers >= 0)) {
      throw invalid(`auto.maxFloatLayers must be a non-negative integer, got ${a.maxFloatLayers}`);
    }
  }
}
