export { quantizeStatic, calibrateForQuantization } from './static.js';
export { quantizeDynamic } from './dynamic.js';
export {
  calibrate,
  measureCalibrationMemory,
  type CalibrateOptions,
  type CalibrationResult,
  type CalibrationMemory,
  type TensorCalibration,
} from './calibrate.js';
export {
  RangeObserver,
  Histogram,
  percentileRange,
  entropyThreshold,
  DEFAULT_PERCENTILE,
  DEFAULT_HISTOGRAM_BINS,
  type CalibrationMethod,
} from './calibrators.js';
export {
  affineParams,
  quantizeWeights,
  dequantizeWeights,
  quantizeBias,
  weightErrorInScales,
  type ActivationType,
  type QuantParams,
  type QuantizedWeights,
} from './quant-math.js';
export { prepareForQuantization, QUANTIZE_OPSET, type PreparedModel, type PrepareOptions } from './prepare.js';
export { buildQdqModel, tensorsToCalibrate, type QdqOptions, type QdqResult, type TensorRange } from './qdq.js';
export { shortenNames, type ShortenedNames } from './rename.js';
export { profileNodes, type NodeTiming, type ProfileResult } from './profile.js';
export { measureInterleaved } from './auto.js';
export type {
  QuantizeStaticOptions,
  QuantizeDynamicOptions,
  QuantizeExclusions,
  AutoQuantizeOptions,
  AutoQuantizeReport,
  FloatLayerReport,
  LayerDecision,
  LatencyFigure,
  QuantizeReportDetails,
} from './types.js';
