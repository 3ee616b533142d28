import type { ModelInspection, ModelVersionDto } from '@edgefleet/contracts';
import type { Artifact, ModelVersion } from '@edgefleet/db';
import { mapArtifact } from '../artifacts/artifacts.service.js';

export function mapVersion(v: ModelVersion & { artifact: Artifact }): ModelVersionDto {
  return {
    id: v.id,
    modelId: v.modelId,
    number: v.number,
    semver: v.semver,
    notes: v.notes,
    status: v.status,
    createdBy: v.createdBy,
    artifact: mapArtifact(v.artifact),
    inspection: v.inspection as unknown as ModelInspection,
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
  };
}
