export { CompressError, isCompressError, type CompressErrorCode, type CompressErrorScope } from './errors.js';
export { onnx, int64ToNumber } from './ir/onnx.js';
export { loadModelProto, encodeModelProto, cloneModelProto } from './ir/model-proto.js';
export type { Dim, TensorInfo } from './ir/tensor-info.js';
export { inspectModel } from './inspect/inspect-model.js';
export type { InspectOptions, ModelInspection } from './inspect/types.js';
export { openNpz, type NpzFile, type NpzArrayInfo, type NpyArray, type NpzBatch } from './data/npz.js';
export { NPY_DTYPES, type NpyDtype, type NpyTypedArray } from './data/npy.js';
export {
  validateDatasetForModel,
  LABELS_ARRAY,
  type DatasetArray,
  type DatasetValidation,
} from './data/validate-dataset.js';
export { GraphIndex, topologicalOrder, graphProblems, sortGraphInPlace, removeUnusedInitializers } from './ir/graph.js';
export {
  readTensor,
  readFloat32,
  readIntegers,
  makeTensor,
  float32ToFloat16Bits,
  float16BitsToNumber,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  FLOAT16_MAX,
  type TensorData,
  type TensorArray,
  type SupportedDataType,
} from './ir/tensor-data.js';
export { attrInt, attrInts, attrFloat, attrString, findAttribute, setAttribute, attr } from './ir/attributes.js';
export { readModelFile, writeFileAtomic, writeModelFile, toModelProto } from './ir/model-file.js';
export type { PassReport, PassResult } from './passes/pass-result.js';
export { BUILTIN_PROFILES, builtinProfile, type HardwareProfile, type AccuracyBudget, type Precision } from './profiles/hardware-profile.js';
export { paretoFront, type ParetoPoint } from './profiles/pareto.js';
export * from './eval/index.js';
export { optimize, type OptimizeOptions, type OptimizationLevel } from './passes/optimize.js';
export { toFloat16, DEFAULT_FLOAT32_OPS, type Float16Options } from './passes/fp16.js';
export * from './passes/prune/index.js';
export * from './passes/quantize/index.js';
export { candidateRecipes, type Recipe, type RecipeStep } from './profiles/recipe.js';
export type { RecipeProgress } from './profiles/run-recipe.js';
export {
  compressForProfile,
  compressForProfiles,
  type CompressDatasets,
  type CompressOptions,
  type CompressProgress,
  type CompressedVariant,
  type ProfileResult,
  type Verdict,
} from './profiles/compress-for-profile.js';
export * from './train/index.js';
