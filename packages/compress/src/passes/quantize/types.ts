import type { CalibrationResult } from './calibrate.js';
import type { CalibrationMethod } from './calibrators.js';
import type { ActivationType } from './quant-math.js';

export type { ActivationType, CalibrationMethod };

/** Nodes to leave in float, by node name or by op type (`Conv`, `Gemm`…). */
export interface QuantizeExclusions {
  readonly names?: readonly string[];
  readonly opTypes?: readonly string[];
}

export interface QuantizeDynamicOptions {
  /** One weight scale per output channel (else one per tensor). @defaultValue true */
  readonly perChannel?: boolean;
  readonly exclude?: QuantizeExclusions;
  /** Replace the names of internal tensors and nodes by short ids (graph inputs and outputs keep theirs). @defaultValue true */
  readonly shortenNames?: boolean;
}

export interface QuantizeStaticOptions {
  /** The calibration dataset: an .npz with one array per model input (same name and dtype). */
  readonly calibration: string;
  /** How activation ranges are chosen from the calibration data. @defaultValue 'minmax' */
  readonly method?: CalibrationMethod;
  /** For `method: 'percentile'`. @defaultValue 99.99 */
  readonly percentile?: number;
  /** Histogram bins for `percentile` and `entropy`. @defaultValue 2048 */
  readonly bins?: number;
  /** Calibration samples to use at most. @defaultValue all */
  readonly calibrationSamples?: number;
  /** Samples per calibration run. @defaultValue 32 (a fixed-batch model uses its batch) */
  readonly batchSize?: number;
  /**
   * Element type of quantized activations. `uint8` (asymmetric) fuses fully into QLinearConv/QLinearAdd
   * on x86 (MLAS u8s8 kernels); `int8` runs pointwise convs unfused and slower on onnxruntime's CPU
   * provider, but is what some NPUs require.
   * @defaultValue 'uint8'
   */
  readonly activationType?: ActivationType;
  /**
   * Symmetric int8 weights with one scale per output channel (axis 0 for Conv and Gemm with transB,
   * axis 1 for MatMul). Per-tensor scales are much worse when BatchNorm was folded into the weights.
   * @defaultValue true
   */
  readonly perChannel?: boolean;
  readonly exclude?: QuantizeExclusions;
  /**
   * Let the engine decide which layers stay float: by measured latency on this host (onnxruntime
   * profiles of the float and the int8 model) and by fidelity against the float model.
   * `true` uses the defaults of {@link AutoQuantizeOptions}.
   * @defaultValue false
   */
  readonly auto?: boolean | AutoQuantizeOptions;
  /** @defaultValue true */
  readonly shortenNames?: boolean;
  /** Ranges from an earlier `calibrateForQuantization()` of this model, to skip calibration. */
  readonly calibrationResult?: CalibrationResult;
  /** Progress of the long steps (calibration batches, auto-mode trials). */
  readonly onProgress?: (progress: { step: string; done: number; total: number }) => void;
}

export interface AutoQuantizeOptions {
  /**
   * Least top-1 agreement with the float model, measured on `fidelityData`. Layers whose
   * quantization hurts most are kept in float until it is met (or `maxFloatLayers` is reached).
   * @defaultValue 0.99
   */
  readonly minAgreement?: number;
  /** Least mean cosine similarity of the outputs with the float model's. @defaultValue 0.99 */
  readonly minCosine?: number;
  /** Dataset for fidelity checks. @defaultValue the calibration dataset */
  readonly fidelityData?: string;
  /** Samples of `fidelityData` used per check. @defaultValue 100 */
  readonly fidelitySamples?: number;
  /** Choose per layer by measured latency too (profiles on this host). @defaultValue true */
  readonly latency?: boolean;
  /** Intra-op threads of the target the latency is optimised for. @defaultValue 1 */
  readonly threads?: number;
  /** Profiled runs per model. @defaultValue 30 */
  readonly profileRuns?: number;
  /**
   * Most extra bytes the layers kept float for latency may add, as a share of the float model's size:
   * where int8 kernels are slower everywhere (a tiny model at batch 10), latency alone would keep the
   * whole model float. @defaultValue 0.02
   */
  readonly maxFloatBytesShare?: number;
  /** Most layers kept in float for fidelity. @defaultValue 8 */
  readonly maxFloatLayers?: number;
  /** Other thread counts at which the float, fully quantized and chosen models are timed for the report. @defaultValue [2] */
  readonly reportThreads?: readonly number[];
}

/** What happened to one quantizable layer (a compute node, with the Relu/Clip folded into it). */
export interface LayerDecision {
  /** Node name in the input model. */
  readonly layer: string;
  readonly op: string;
  /** Its name in the output model (names are shortened), when it still exists there. */
  readonly node: string | null;
  readonly precision: 'int8' | 'float';
  readonly reason: 'quantized' | 'excluded' | 'unsupported' | 'latency' | 'fidelity';
  readonly detail?: string;
  /** Relu/Clip removed because the int8 output range clamps the same way. */
  readonly absorbedActivation?: string;
  /** Parameter bytes of the layer in float32 and as quantized (int8 weights, int32 bias, scales). */
  readonly floatBytes: number;
  readonly int8Bytes: number;
}

/** Why the automatic mode kept one layer in float, and what that bought. */
export interface FloatLayerReport {
  readonly layer: string;
  readonly reason: 'latency' | 'fidelity';
  /** Extra file bytes compared with quantizing it. */
  readonly bytesCost: number;
  /**
   * Profiled kernel time of the layer, microseconds: float vs int8 (the Q/DQ boundary not included);
   * 0 when it has no kernel of its own (fused into a neighbour's), null without latency profiling.
   */
  readonly floatUs: number | null;
  readonly int8Us: number | null;
  /** Top-1 agreement with the float model, with this layer in float vs quantized (others as chosen). */
  readonly agreementFloat: number | null;
  readonly agreementInt8: number | null;
}

export interface LatencyFigure {
  /** Median milliseconds per run at batch 1 (or the model's fixed batch). */
  readonly ms: number;
  readonly threads: number;
}

export interface AutoQuantizeReport {
  readonly threads: number;
  readonly floatLayers: readonly FloatLayerReport[];
  /** Fidelity of the fully quantized model and of the chosen one, on the fidelity samples. */
  readonly fidelity: {
    readonly samples: number;
    readonly target: { readonly minAgreement: number; readonly minCosine: number };
    readonly fullInt8: { readonly agreement: number; readonly cosine: number };
    readonly chosen: { readonly agreement: number; readonly cosine: number };
    readonly met: boolean;
  };
  /** Interleaved end-to-end timings on this host (medians), null when latency was not considered. */
  readonly latency: {
    readonly float: LatencyFigure;
    readonly fullInt8: LatencyFigure;
    readonly chosen: LatencyFigure;
    /** Configurations tried, with their estimated and measured latency. */
    readonly candidates: readonly { readonly floatLayers: readonly string[]; readonly estimatedUs: number; readonly measuredMs: number }[];
    /** The float, fully quantized and chosen models timed at `reportThreads` (ms, medians). */
    readonly otherThreads: readonly { readonly threads: number; readonly float: number; readonly fullInt8: number; readonly chosen: number }[];
  } | null;
  readonly notes: readonly string[];
}

/** `PassReport.details` of `quantizeStatic` / `quantizeDynamic`. */
export interface QuantizeReportDetails {
  readonly mode: 'static' | 'dynamic';
  readonly activationType: ActivationType | 'dynamic-uint8';
  readonly perChannel: boolean;
  readonly calibration: {
    readonly method: CalibrationMethod;
    readonly percentile: number | null;
    readonly samples: number;
    readonly tensors: number;
  } | null;
  readonly prepared: { readonly foldedBatchNorms: number; readonly foldedPads: number; readonly removedIdentities: number };
  readonly bytes: { readonly before: number; readonly after: number; readonly ratio: number };
  readonly names: { readonly renamedTensors: number; readonly bytesBefore: number; readonly bytesAfter: number } | null;
  readonly layers: readonly LayerDecision[];
  readonly floatLayers: readonly string[];
  /** Largest |w − dequantize(quantize(w))| over all weights, relative to that weight's scale (≤ 0.5). */
  readonly maxWeightErrorInScales: number;
  readonly clampedBiasValues: number;
  readonly auto: AutoQuantizeReport | null;
}
