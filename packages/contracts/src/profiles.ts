import { z } from 'zod';
import { IsoDate, PaginationQuery } from './common.js';

const Slug = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and "-"');

export const Precision = z.enum(['fp32', 'fp16', 'int8']);

export const AccuracyBudget = z
  .object({
    maxDropPoints: z.number().min(0).max(100).optional(),
    minAgreement: z.number().min(0).max(1).optional(),
  })
  .strict()
  .refine((b) => b.maxDropPoints !== undefined || b.minAgreement !== undefined, 'set maxDropPoints, minAgreement or both');

const ProfileFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2000),
  precisions: z
    .array(Precision)
    .min(1)
    .refine((p) => new Set(p).size === p.length, 'precisions must not repeat'),
  optimizationLevel: z.enum(['basic', 'extended']),
  threads: z.number().int().min(1).max(256),
  maxModelBytes: z.number().int().positive().nullable(),
  maxLatencyMs: z.number().positive().nullable(),
  accuracyBudget: AccuracyBudget,
  objective: z.enum(['latency', 'size']),
};

export const CreateProfileRequest = z
  .object({
    slug: Slug,
    ...ProfileFields,
    description: ProfileFields.description.default(''),
    maxModelBytes: ProfileFields.maxModelBytes.optional(),
    maxLatencyMs: ProfileFields.maxLatencyMs.optional(),
    objective: ProfileFields.objective.default('latency'),
  })
  .strict();
export type CreateProfileRequest = z.input<typeof CreateProfileRequest>;

export const UpdateProfileRequest = z
  .object(ProfileFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'at least one field to change');
export type UpdateProfileRequest = z.input<typeof UpdateProfileRequest>;

export const ListProfilesQuery = PaginationQuery;

export const HardwareProfileDto = z.object({
  id: z.string().uuid(),
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  precisions: z.array(Precision),
  optimizationLevel: z.enum(['basic', 'extended']),
  threads: z.number().int(),
  maxModelBytes: z.number().int().nullable(),
  maxLatencyMs: z.number().nullable(),
  accuracyBudget: z.object({ maxDropPoints: z.number().optional(), minAgreement: z.number().optional() }),
  objective: z.enum(['latency', 'size']),
  builtin: z.boolean(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type HardwareProfileDto = z.infer<typeof HardwareProfileDto>;
