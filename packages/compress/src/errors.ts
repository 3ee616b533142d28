/**
 * Stable error codes. Callers (API, CLI) branch on `code`, never on message text, so codes are
 * part of the public contract: add new ones, don't rename.
 */
export type CompressErrorCode =
  | 'model/not_onnx'
  | 'model/runtime_rejected'
  | 'model/external_data_unsupported'
  | 'model/external_data_invalid'
  | 'model/unsupported'
  | 'model/invalid_graph'
  | 'pass/refused'
  | 'pass/invalid_options'
  | 'dataset/invalid'
  | 'dataset/mismatch'
  | 'io/read_failed'
  | 'eval/invalid_options'
  | 'eval/unsupported_model'
  | 'eval/reference_mismatch'
  | 'eval/run_failed'
  | 'train/unsupported_op'
  | 'train/invalid_options'
  | 'train/unsupported_student';

/** Which part of the package raised the error; it prefixes the message (`compress/<scope>: ...`). */
export type CompressErrorScope = 'load' | 'inspect' | 'npz' | 'dataset' | 'ir' | 'optimize' | 'fp16' | 'quantize' | 'prune' | 'profile' | 'cli' | 'eval' | 'train';

export class CompressError extends Error {
  override readonly name = 'CompressError';

  constructor(
    readonly code: CompressErrorCode,
    scope: CompressErrorScope,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`compress/${scope}: ${detail}`, options);
  }
}

export function isCompressError(err: unknown, code?: CompressErrorCode): err is CompressError {
  return err instanceof CompressError && (code === undefined || err.code === code);
}

export function describeCause(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
