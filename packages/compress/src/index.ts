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
