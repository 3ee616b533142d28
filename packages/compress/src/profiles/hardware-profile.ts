/** Numeric precisions a target can execute. */
export type Precision = 'fp32' | 'fp16' | 'int8';

/**
 * What a deployment target supports and demands. Variants that break a hard limit (bytes, latency,
 * accuracy budget) are kept in the report but never recommended.
 */
export interface HardwareProfile {
  /** Stable slug, e.g. `arm64-cpu-int8`. */
  readonly id: string;
  readonly name: string;
  /** Free-form: the boards this stands for, runtime, memory. */
  readonly description: string;
  readonly precisions: readonly Precision[];
  /**
   * onnxruntime graph optimization baked into the variant. `extended` emits onnxruntime-specific fused
   * ops, so only targets that run onnxruntime on CPU may use it.
   */
  readonly optimizationLevel: 'basic' | 'extended';
  /** Intra-op threads on the target; latency is measured with this many. */
  readonly threads: number;
  /** Largest model file the target accepts. */
  readonly maxModelBytes?: number;
  /** Per-inference latency limit at batch 1 (measured here, so only comparable between variants). */
  readonly maxLatencyMs?: number;
  readonly accuracyBudget: AccuracyBudget;
  /** What "best" means among the variants within budget. @defaultValue 'latency' */
  readonly objective?: 'latency' | 'size';
}

export interface AccuracyBudget {
  /** Largest top-1 accuracy drop in percentage points, judged where labels exist. */
  readonly maxDropPoints?: number;
  /** Smallest top-1 agreement with the fp32 model (0..1), judged when labels are missing. */
  readonly minAgreement?: number;
}

const MB = 1024 * 1024;

/** Realistic starting points; the platform stores editable copies. */
export const BUILTIN_PROFILES: readonly HardwareProfile[] = [
  {
    id: 'arm64-cpu-int8',
    name: 'arm64 CPU board',
    description: 'Raspberry Pi 4/5-class Cortex-A board, 4 cores, onnxruntime CPU (MLAS) with int8 kernels',
    precisions: ['fp32', 'int8'],
    optimizationLevel: 'extended',
    threads: 2,
    maxLatencyMs: 50,
    accuracyBudget: { maxDropPoints: 1, minAgreement: 0.98 },
    objective: 'latency',
  },
  {
    id: 'gpu-fp16',
    name: 'GPU box with fp16',
    description: 'Jetson Orin / small CUDA box; onnxruntime CUDA or TensorRT EP, fp16 tensor cores',
    precisions: ['fp32', 'fp16'],
    optimizationLevel: 'basic',
    threads: 2,
    accuracyBudget: { maxDropPoints: 0.5, minAgreement: 0.99 },
    objective: 'latency',
  },
  {
    id: 'mcu-int8',
    name: 'Microcontroller-class int8',
    description: 'Cortex-M7 / ESP32-S3-class, int8-only kernels, under 1 MB for the model',
    precisions: ['int8'],
    optimizationLevel: 'basic',
    threads: 1,
    maxModelBytes: 1 * MB,
    accuracyBudget: { maxDropPoints: 2, minAgreement: 0.95 },
    objective: 'size',
  },
];

export function builtinProfile(id: string): HardwareProfile | undefined {
  return BUILTIN_PROFILES.find((p) => p.id === id);
}
