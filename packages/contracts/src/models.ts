import { z } from 'zod';
import { IsoDate, PaginationQuery } from './common.js';

const ModelName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

/** How raw inputs become the model's tensors. Persisted, hence the `v` field. */
export const PreprocessingSpec = z
  .object({
    v: z.literal(1),
    layout: z.enum(['NCHW', 'NHWC']).optional(),
    colorSpace: z.enum(['RGB', 'BGR', 'GRAY']).optional(),
    resize: z.object({ width: z.number().int().positive(), height: z.number().int().positive(), method: z.enum(['bilinear', 'nearest']).default('bilinear') }).optional(),
    scale: z.number().optional(),
    offset: z.number().optional(),
    mean: z.array(z.number()).optional(),
    std: z.array(z.number()).optional(),
  })
  .strict();
export type PreprocessingSpec = z.infer<typeof PreprocessingSpec>;

export const ModelTask = z.enum(['image-classification', 'object-detection', 'segmentation', 'regression', 'other']);

export const CreateModelRequest = z
  .object({
    name: ModelName,
    task: ModelTask,
    description: z.string().max(2000).optional(),
    labels: z.array(z.string().min(1).max(200)).max(10_000).default([]),
    preprocessing: PreprocessingSpec.optional(),
  })
  .strict();
export type CreateModelRequest = z.input<typeof CreateModelRequest>;

export const UpdateModelRequest = z
  .object({
    name: ModelName.optional(),
    task: ModelTask.optional(),
    description: z.string().max(2000).nullable().optional(),
    labels: z.array(z.string().min(1).max(200)).max(10_000).optional(),
    preprocessing: PreprocessingSpec.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'at least one field to change');
export type UpdateModelRequest = z.input<typeof UpdateModelRequest>;

export const ListModelsQuery = PaginationQuery.extend({
  search: z.string().trim().max(100).optional(),
});
export type ListModelsQuery = z.infer<typeof ListModelsQuery>;

export const ModelDto = z.object({
  id: z.string().uuid(),
  name: z.string(),
  task: ModelTask,
  description: z.string().nullable(),
  labels: z.array(z.string()),
  preprocessing: PreprocessingSpec.nullable(),
  versionCount: z.number().int(),
  latestVersion: z.number().int().nullable(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type ModelDto = z.infer<typeof ModelDto>;
