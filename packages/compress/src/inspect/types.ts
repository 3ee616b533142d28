import type { TensorInfo } from '../ir/tensor-info.js';

/** Everything `inspectModel` reports; plain data, safe to `JSON.stringify` and store. */
export interface ModelInspection {
  irVersion: number;
  /** Opset imports as declared; the default domain is `''`. */
  opsets: { domain: string; version: number }[];
  producer: { name: string; version: string };
  graphName: string;
  docString?: string;
  /** Graph inputs a caller must feed (initializers listed as inputs are left out). */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  nodeCount: number;
  /** Main graph only; key = op_type, or `domain:op_type` outside the default domain. */
  opHistogram: Record<string, number>;
  /**
   * Elements of all initializers (any type) + floating-point Constant-node tensors of the main
   * graph; see `parameterCount` in ir/graph-stats.ts for the reasoning.
   */
  parameterCount: number;
  /** Payload bytes of all initializers (external data included). */
  initializerBytes: number;
  /** Multiply-accumulates of one run; null when the shape probe could not run (see `macsNote`). */
  macs: number | null;
  macsByOp: Record<string, number>;
  macsNote: string;
  runtime: { loaded: true; version: string };
}

export interface InspectOptions {
  /** Directory external-data locations are relative to, when inspecting bytes rather than a path. */
  baseDir?: string;
  /** Skip the MAC probe (a second ORT session and one inference). */
  computeMacs?: boolean;
}
