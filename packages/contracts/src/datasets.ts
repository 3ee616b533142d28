import { z } from 'zod';
import { ArtifactDto, IsoDate } from './common.js';

export const DatasetPurpose = z.enum(['calibration', 'evaluation']);
export type DatasetPurpose = z.infer<typeof DatasetPurpose>;

export const UploadDatasetFields = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-"'),
    purpose: DatasetPurpose.default('evaluation'),
  })
  .strict();
export type UploadDatasetFields = z.input<typeof UploadDatasetFields>;

export const DatasetArrayInfo = z.object({
  name: z.string(),
  dtype: z.string(),
  shape: z.array(z.number().int()),
});

export const DatasetDto = z.object({
  id: z.string().uuid(),
  modelId: z.string().uuid(),
  name: z.string(),
  purpose: DatasetPurpose,
  sampleCount: z.number().int(),
  hasLabels: z.boolean(),
  arrays: z.array(DatasetArrayInfo),
  artifact: ArtifactDto,
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type DatasetDto = z.infer<typeof DatasetDto>;
