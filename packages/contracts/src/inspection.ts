import { z } from 'zod';

export const TensorInfo = z.object({
  name: z.string(),
  elemType: z.string(),
  /** A number for a fixed dim, a string for a symbolic one (`batch_size`), null when unknown. */
  shape: z.array(z.union([z.number(), z.string(), z.null()])),
});
export type TensorInfo = z.infer<typeof TensorInfo>;

/** What the registry learns from an uploaded ONNX file (computed by @edgefleet/compress). */
export const ModelInspection = z.object({
  irVersion: z.number().int(),
  opsets: z.array(z.object({ domain: z.string(), version: z.number().int() })),
  producer: z.object({ name: z.string(), version: z.string() }),
  graphName: z.string(),
  inputs: z.array(TensorInfo),
  outputs: z.array(TensorInfo),
  nodeCount: z.number().int(),
  opHistogram: z.record(z.string(), z.number().int()),
  parameterCount: z.number().int(),
  initializerBytes: z.number().int(),
  macs: z.number().nullable(),
  macsByOp: z.record(z.string(), z.number()),
  macsNote: z.string(),
  runtime: z.object({ loaded: z.literal(true), version: z.string() }),
});
export type ModelInspection = z.infer<typeof ModelInspection>;
