import type { onnx } from '../ir/onnx.js';

/** What a pass did, in terms a person reviewing a compressed model cares about. */
export interface PassReport {
  readonly pass: string;
  /** Nodes or tensors rewritten. */
  readonly changed: number;
  /** Nodes left as they were, and why (unsupported op, excluded by option, inside a subgraph…). */
  readonly skipped: readonly { readonly node: string; readonly reason: string }[];
  readonly notes: readonly string[];
  /** Pass-specific figures (clamped values, sparsity per layer, calibration ranges…), JSON-serialisable. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Every pass is `(model, options) => Promise<PassResult>`; the input model is never mutated. */
export interface PassResult {
  readonly model: onnx.ModelProto;
  readonly report: PassReport;
}
