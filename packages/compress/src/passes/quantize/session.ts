import { CompressError, describeCause } from '../../errors.js';
import { ort, runtimeVersion } from '../../inspect/runtime.js';

export interface QuantSessionOptions {
  /** Intra-op threads. @defaultValue 1 */
  readonly threads?: number;
  /** @defaultValue 'all' — QDQ groups only become int8 kernels when the session optimizes the graph. */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Path prefix of onnxruntime's JSON profile; profiling is on when set. */
  readonly profileFilePrefix?: string;
}

/**
 * Opens an onnxruntime session the quantizer's way: pinned threads (one inter-op thread, sequential
 * execution) so latency figures mean the same thing on every host, warnings silenced. A model ORT
 * refuses becomes `model/runtime_rejected`. Always `release()` it.
 */
export async function openSession(model: Uint8Array, options: QuantSessionOptions = {}): Promise<ort.InferenceSession> {
  const settings: ort.InferenceSession.SessionOptions = {
    logSeverityLevel: 3,
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    ...(options.profileFilePrefix ? { enableProfiling: true, profileFilePrefix: options.profileFilePrefix } : {}),
  };
  try {
    return await ort.InferenceSession.create(model, settings);
  } catch (err) {
    throw new CompressError('model/runtime_rejected', 'quantize', `onnxruntime ${runtimeVersion()} cannot load the model: ${describeCause(err)}`, { cause: err });
  }
}

export async function withSession<T>(model: Uint8Array, options: QuantSessionOptions, use: (session: ort.InferenceSession) => Promise<T>): Promise<T> {
  const session = await openSession(model, options);
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}

export { ort };
