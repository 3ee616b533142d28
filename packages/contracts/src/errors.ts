import { z } from 'zod';

/** Every non-2xx response of the API has this body. `error` is a stable code; `message` is for people. */
export const ApiErrorBody = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  requestId: z.string().optional(),
  details: z.unknown().optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** Stable error codes. Values never change once released; clients switch on them. */
export const ErrorCode = {
  ValidationFailed: 'request/validation_failed',
  NotFound: 'request/not_found',
  PayloadTooLarge: 'upload/too_large',
  UploadMalformed: 'upload/malformed',
  ModelNotFound: 'model/not_found',
  ModelNameTaken: 'model/name_taken',
  ModelNotOnnx: 'model/not_onnx',
  ModelRuntimeRejected: 'model/runtime_rejected',
  VersionNotFound: 'version/not_found',
  VersionLabelTaken: 'version/label_taken',
  ArtifactNotFound: 'artifact/not_found',
  DatasetNotFound: 'dataset/not_found',
  DatasetNameTaken: 'dataset/name_taken',
  DatasetInvalid: 'dataset/invalid',
  DatasetMismatch: 'dataset/mismatch',
  RangeNotSatisfiable: 'download/range_not_satisfiable',
  ProfileNotFound: 'profile/not_found',
  ProfileSlugTaken: 'profile/slug_taken',
  ProfileInUse: 'profile/in_use',
  PipelineNotFound: 'pipeline/not_found',
  PipelineNotCancellable: 'pipeline/not_cancellable',
  VariantNotFound: 'variant/not_found',
  NoProfiles: 'pipeline/no_profiles',
  DeviceNotFound: 'device/not_found',
  DeviceUnauthorized: 'device/unauthorized',
  DeviceRevoked: 'device/revoked',
  DeviceForbidden: 'device/forbidden',
  EnrollmentTokenNotFound: 'enrollment_token/not_found',
  EnrollmentTokenInvalid: 'enrollment_token/invalid',
  EnrollmentTokenExpired: 'enrollment_token/expired',
  EnrollmentTokenExhausted: 'enrollment_token/exhausted',
  EnrollmentTokenRevoked: 'enrollment_token/revoked',
  RolloutNotFound: 'rollout/not_found',
  RolloutConflict: 'rollout/conflict',
  RolloutInvalidState: 'rollout/invalid_state',
  RolloutNoDevices: 'rollout/no_devices',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
