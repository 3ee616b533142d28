import { Param, type PipeTransform } from '@nestjs/common';
import { ErrorCode } from '@edgefleet/contracts';
import { AppError } from './app-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const NOT_FOUND = {
  model: ErrorCode.ModelNotFound,
  artifact: ErrorCode.ArtifactNotFound,
  dataset: ErrorCode.DatasetNotFound,
  pipeline: ErrorCode.PipelineNotFound,
  variant: ErrorCode.VariantNotFound,
  device: ErrorCode.DeviceNotFound,
  'enrollment token': ErrorCode.EnrollmentTokenNotFound,
  rollout: ErrorCode.RolloutNotFound,
  user: ErrorCode.UserNotFound,
  'api key': ErrorCode.ApiKeyNotFound,
} as const;

class UuidPipe implements PipeTransform<string, string> {
  constructor(private readonly entity: keyof typeof NOT_FOUND) {}
  transform(value: string): string {
    // A malformed id cannot name anything: answer like any unknown id.
    if (!UUID.test(value)) throw new AppError(NOT_FOUND[this.entity], `${this.entity} ${value} not found`);
    return value.toLowerCase();
  }
}

export const UuidParam = (name: string, entity: keyof typeof NOT_FOUND): ParameterDecorator => Param(name, new UuidPipe(entity));
