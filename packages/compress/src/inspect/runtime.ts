import ort from 'onnxruntime-node';
import { CompressError, describeCause } from '../errors.js';

export { ort };

// Warnings (e.g. "Removing initializer ... not used") go to stderr and would drown test output.
const QUIET: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3 };

/** Opens an ORT session; refusal becomes `model/runtime_rejected` carrying ORT's own message. */
export async function createSession(source: string | Uint8Array): Promise<ort.InferenceSession> {
  try {
    return typeof source === 'string'
      ? await ort.InferenceSession.create(source, QUIET)
      : await ort.InferenceSession.create(source, QUIET);
  } catch (err) {
    throw new CompressError(
      'model/runtime_rejected',
      'inspect',
      `onnxruntime ${runtimeVersion()} cannot load the model: ${describeCause(err)}`,
      { cause: err },
    );
  }
}

export function runtimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/** Runs `use` with a fresh session and always releases its native memory afterwards. */
export async function withSession<T>(
  source: string | Uint8Array,
  use: (session: ort.InferenceSession) => Promise<T>,
): Promise<T> {
  const session = await createSession(source);
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}
