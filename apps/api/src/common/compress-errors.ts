import { CompressError } from '@edgefleet/compress';
import { ErrorCode } from '@edgefleet/contracts';
import { AppError } from './app-error.js';

const BY_COMPRESS_CODE: Record<string, ErrorCode> = {
  'model/not_onnx': ErrorCode.ModelNotOnnx,
  'model/runtime_rejected': ErrorCode.ModelRuntimeRejected,
  'model/external_data_unsupported': ErrorCode.ModelRuntimeRejected,
  'dataset/invalid': ErrorCode.DatasetInvalid,
  'dataset/mismatch': ErrorCode.DatasetMismatch,
};

/** The engine's typed errors are the user's bad input (422); anything else is ours and propagates. */
export function asUploadError(err: unknown): unknown {
  if (err instanceof CompressError) {
    const code = BY_COMPRESS_CODE[err.code];
    if (code) return new AppError(code, err.message);
  }
  return err;
}
