import { z } from 'zod';

export const PaginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export type PaginationQuery = z.infer<typeof PaginationQuery>;

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

export const IsoDate = z.string().describe('ISO-8601 timestamp');

export const ArtifactDto = z.object({
  id: z.string().uuid(),
  kind: z.enum(['original', 'variant', 'dataset']),
  format: z.enum(['onnx', 'npz']),
  byteSize: z.number().int(),
  sha256: z.string().length(64),
  downloadUrl: z.string(),
  createdAt: IsoDate,
});
export type ArtifactDto = z.infer<typeof ArtifactDto>;
