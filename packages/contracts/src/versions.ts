import { z } from 'zod';
import { ArtifactDto, IsoDate } from './common.js';
import { ModelInspection } from './inspection.js';

/** Text fields sent beside the `file` part of a version upload. */
export const UploadVersionFields = z
  .object({
    semver: z
      .string()
      .trim()
      .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'a semantic version such as 1.2.0')
      .optional(),
    notes: z.string().max(5000).optional(),
    createdBy: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type UploadVersionFields = z.infer<typeof UploadVersionFields>;

export const VersionStatus = z.enum(['ready', 'archived']);

export const ModelVersionDto = z.object({
  id: z.string().uuid(),
  modelId: z.string().uuid(),
  number: z.number().int(),
  semver: z.string().nullable(),
  notes: z.string().nullable(),
  status: VersionStatus,
  createdBy: z.string().nullable(),
  artifact: ArtifactDto,
  inspection: ModelInspection,
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type ModelVersionDto = z.infer<typeof ModelVersionDto>;
