import { ErrorCode } from '@edgefleet/contracts';

/** A domain error with a stable code; the exception filter turns the code into an HTTP status. */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.UploadMalformed]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.ModelNotFound]: 404,
  [ErrorCode.VersionNotFound]: 404,
  [ErrorCode.ArtifactNotFound]: 404,
  [ErrorCode.DatasetNotFound]: 404,
  [ErrorCode.ProfileNotFound]: 404,
  [ErrorCode.PipelineNotFound]: 404,
  [ErrorCode.VariantNotFound]: 404,
  [ErrorCode.ModelNameTaken]: 409,
  [ErrorCode.VersionLabelTaken]: 409,
  [ErrorCode.DatasetNameTaken]: 409,
  [ErrorCode.ProfileSlugTaken]: 409,
  [ErrorCode.ProfileInUse]: 409,
  [ErrorCode.PipelineNotCancellable]: 409,
  [ErrorCode.NoProfiles]: 422,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.RangeNotSatisfiable]: 416,
  [ErrorCode.ModelNotOnnx]: 422,
  [ErrorCode.ModelRuntimeRejected]: 422,
  [ErrorCode.DatasetInvalid]: 422,
  [ErrorCode.DatasetMismatch]: 422,
  [ErrorCode.DeviceNotFound]: 404,
  [ErrorCode.RolloutNotFound]: 404,
  [ErrorCode.RolloutConflict]: 409,
  [ErrorCode.RolloutInvalidState]: 409,
  [ErrorCode.RolloutNoDevices]: 422,
  [ErrorCode.EnrollmentTokenNotFound]: 404,
  [ErrorCode.DeviceUnauthorized]: 401,
  [ErrorCode.DeviceRevoked]: 401,
  [ErrorCode.EnrollmentTokenInvalid]: 401,
  [ErrorCode.EnrollmentTokenExpired]: 401,
  [ErrorCode.EnrollmentTokenExhausted]: 401,
  [ErrorCode.EnrollmentTokenRevoked]: 401,
  [ErrorCode.DeviceForbidden]: 403,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.SessionExpired]: 401,
  [ErrorCode.InvalidCredentials]: 401,
  [ErrorCode.ApiKeyInvalid]: 401,
  [ErrorCode.ApiKeyRevoked]: 401,
  [ErrorCode.ApiKeyExpired]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.CsrfRejected]: 403,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.UserNotFound]: 404,
  [ErrorCode.UserEmailTaken]: 409,
  [ErrorCode.UserLastAdmin]: 409,
  [ErrorCode.ApiKeyNotFound]: 404,
  [ErrorCode.Internal]: 500,
};

export function statusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500;
}
