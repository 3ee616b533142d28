import { type HostTensor, inspectModel, openNpz, withEvalSession } from '@edgefleet/compress';
import type { VariantManifest } from '@edgefleet/contracts';

export type VariantProbe = NonNullable<VariantManifest['probe']>;

/** Samples a probe carries at most (a model that fixes its batch gets exactly that batch, within the float cap). */
export const PROBE_MAX_SAMPLES = 4;
/**
 * Input floats a probe carries at most: the manifest travels in every desired-state response, so it stays small
 * (~20k floats ≈ 200 KB of JSON). A model whose single sample is larger (MobileNet at 3×128×128) gets no probe.
 */
export const PROBE_MAX_FLOATS = 20_000;
/**
 * Absolute tolerance per precision, scaled by the largest output magnitude (at least 1): the same variant on another
 * CPU (other SIMD paths, another thread count) differs by rounding, and int8/fp16 kernels differ more than fp32 ones.
 */
export const PROBE_TOLERANCE = { fp32: 1e-3, fp16: 1e-2, int8: 5e-2 } as const;

// 6/7 significant digits keep the JSON short and survive a jsonb round trip unchanged (the signature covers them;
// 17-digit doubles come back from the database with 16). The rounded inputs are what is fed, as an agent will.
const roundInput = (v: number) => Number(v.toPrecision(6));
const roundOutput = (v: number) => Number(v.toPrecision(7));

/** The agent's generated health-check pattern, `(sin(0.37 i) + 1) / 2`, for models without a dataset. */
function generated(count: number): number[] {
  return Array.from({ length: count }, (_, i) => roundInput((Math.sin(i * 0.37) + 1) / 2));
}

async function fromDataset(file: string, inputs: { name: string; sampleDims: number[] }[], n: number): Promise<Record<string, number[]> | null> {
  const npz = await openNpz(file);
  const out: Record<string, number[]> = {};
  for (const input of inputs) {
    const info = npz.arrays.find((a) => a.name === input.name);
    const perSample = input.sampleDims.reduce((a, b) => a * b, 1);
    if (!info || (info.shape[0] ?? 0) < n || info.shape.slice(1).reduce((a, b) => a * b, 1) !== perSample) return null;
    for await (const batch of npz.batches(input.name, n)) {
      out[input.name] = Array.from(batch.data as ArrayLike<number | bigint>, (v) => roundInput(Number(v)));
      break;
    }
  }
  return out;
}

/**
 * A variant's probe for its signed manifest: a few inputs (the first samples of the version's evaluation or
 * calibration dataset when it can feed the model, else the agent's generated pattern) and the outputs this variant
 * gives on them, which a device must reproduce within `tolerance` before serving it. Null when the model cannot be
 * probed compactly: inputs other than float32, one sample over {@link PROBE_MAX_FLOATS}, float16 or non-finite outputs.
 */
export async function buildProbe(model: Uint8Array, precision: keyof typeof PROBE_TOLERANCE, dataset?: string): Promise<VariantProbe | null> {
  const io = await inspectModel(model, { computeMacs: false });
  if (io.inputs.length === 0 || io.inputs.some((i) => i.elemType !== 'float32' || !i.shape || i.shape.length === 0)) return null;
  const inputs = io.inputs.map((i) => ({ name: i.name, batch: i.shape![0], sampleDims: i.shape!.slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : 1)) }));
  const fixed = inputs.find((i) => typeof i.batch === 'number' && i.batch > 0)?.batch as number | undefined;
  const perSample = inputs.reduce((n, i) => n + i.sampleDims.reduce((a, b) => a * b, 1), 0);
  const n = fixed ?? Math.min(PROBE_MAX_SAMPLES, Math.floor(PROBE_MAX_FLOATS / perSample));
  if (n < 1 || n * perSample > PROBE_MAX_FLOATS) return null;

  const data = (dataset ? await fromDataset(dataset, inputs, n) : null) ?? Object.fromEntries(inputs.map((i) => [i.name, generated(n * i.sampleDims.reduce((a, b) => a * b, 1))]));
  const feeds: Record<string, HostTensor> = {};
  for (const i of inputs) feeds[i.name] = { type: 'float32', dims: [n, ...i.sampleDims], data: Float32Array.from(data[i.name]!) };

  const outputs = await withEvalSession(model, { threads: 1 }, (s) => s.run(feeds));
  const probeOutputs: VariantProbe['outputs'] = {};
  let maxAbs = 1;
  for (const [name, o] of Object.entries(outputs)) {
    if (o.type === 'float16' || !ArrayBuffer.isView(o.data)) return null;
    const values = Array.from(o.data as unknown as ArrayLike<number | bigint>, (v) => Number(v));
    if (values.some((v) => !Number.isFinite(v))) return null;
    for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v));
    probeOutputs[name] = { dims: [...o.dims], data: values.map(roundOutput) };
  }
  return {
    inputs: Object.fromEntries(inputs.map((i) => [i.name, { dims: [n, ...i.sampleDims], data: data[i.name]! }])),
    outputs: probeOutputs,
    tolerance: Number((PROBE_TOLERANCE[precision] * maxAbs).toPrecision(3)),
  };
}
