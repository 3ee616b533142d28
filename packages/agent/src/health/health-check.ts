import type { InferenceRunner, TensorData, ValueInfo } from '../runtime/model-session.js';

export class HealthCheckError extends Error {
  readonly code = 'health/check_failed';
  constructor(message: string) {
    super(`agent/health: ${message}`);
  }
}

/** The probe a variant's manifest carries (contracts `VariantManifest.probe`): inputs and the outputs the platform measured. */
interface Probe {
  inputs: Record<string, { dims: number[]; data: number[] }>;
  outputs?: Record<string, { dims: number[]; data: number[] }>;
  tolerance?: number;
}

function probeOf(manifest: Record<string, unknown> | undefined): Probe | null {
  const p = manifest?.probe as Probe | undefined;
  return p && typeof p === 'object' && p.inputs && typeof p.inputs === 'object' ? p : null;
}

/** Deterministic inputs for an input spec: symbolic/unknown dimensions become 1, values a smooth pattern in [0, 1). */
export function generatedInputs(inputs: ValueInfo[]): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {};
  for (const input of inputs) {
    if (input.type !== 'float32') throw new HealthCheckError(`input ${input.name} is ${input.type}; only float32 inputs are supported`);
    const dims = input.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (Math.sin(i * 0.37) + 1) / 2;
    feeds[input.name] = { dims, data };
  }
  return feeds;
}

/**
 * Runs a freshly loaded model once before it may serve: on generated inputs matching its spec, and on the
 * manifest's probe when present. Every output must be finite (and match the probe outputs within tolerance).
 */
export async function healthCheck(session: InferenceRunner, manifest?: Record<string, unknown>): Promise<{ probed: boolean }> {
  const check = (outputs: Record<string, TensorData>) => {
    if (Object.keys(outputs).length === 0) throw new HealthCheckError('model produced no outputs');
    for (const [name, t] of Object.entries(outputs)) {
      if (t.data.length === 0) throw new HealthCheckError(`output ${name} is empty`);
      for (const v of t.data) if (!Number.isFinite(v)) throw new HealthCheckError(`output ${name} has a non-finite value`);
    }
  };
  check(await session.run(generatedInputs(session.inputs)));
  const probe = probeOf(manifest);
  if (!probe) return { probed: false };
  const feeds: Record<string, TensorData> = {};
  for (const [k, v] of Object.entries(probe.inputs)) feeds[k] = { dims: v.dims, data: Float32Array.from(v.data) };
  const out = await session.run(feeds);
  check(out);
  const tol = probe.tolerance ?? 1e-3;
  for (const [name, want] of Object.entries(probe.outputs ?? {})) {
    const got = out[name];
    if (!got || got.data.length !== want.data.length) throw new HealthCheckError(`probe output ${name} missing or of another size`);
    if (want.dims && want.dims.join(',') !== got.dims.join(',')) throw new HealthCheckError(`probe output ${name} has dims [${got.dims.join(',')}], the platform measured [${want.dims.join(',')}]`);
    for (let i = 0; i < want.data.length; i++) if (Math.abs(got.data[i]! - want.data[i]!) > tol) throw new HealthCheckError(`probe output ${name} differs at ${i}`);
  }
  return { probed: true };
}
