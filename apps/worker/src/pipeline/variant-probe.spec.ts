import { generateKeyPairSync, createHash, sign } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { healthCheck, HealthCheckError, ModelSession, platformPublicKey, verifyManifest } from '@edgefleet/agent';
import { encodeModelProto, loadModelProto, openNpz, quantizeDynamic } from '@edgefleet/compress';
import { canonicalJson, VariantManifest } from '@edgefleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProbe, PROBE_MAX_FLOATS, PROBE_TOLERANCE, type VariantProbe } from './variant-probe.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../../shared/fixtures');
const LENET = path.join(FIXTURES, 'models/mnist-lenet5/model.onnx');
const LENET_BN = path.join(FIXTURES, 'models/mnist-lenet5-bn/model.onnx');
const MOBILENET = path.join(FIXTURES, 'models/person-mobilenetv2/model.onnx');
const EVAL = path.join(FIXTURES, 'npz/mnist-eval-9k.npz');

/** A test platform key: what the worker signs with, and the DTO an agent pins. */
function testKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    dto: { algorithm: 'ed25519' as const, publicKey: der.toString('base64'), publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), fingerprint: createHash('sha256').update(der).digest('hex') },
  };
}

function manifestFor(bytes: Uint8Array, probe: VariantProbe): VariantManifest {
  return VariantManifest.parse({
    v: 1,
    model: { id: '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', name: 'lenet' },
    version: { id: '8f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', number: 1 },
    profile: 'x86-cpu-int8',
    recipe: 'int8-dyn',
    artifact: { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength, format: 'onnx' },
    createdAt: new Date().toISOString(),
    probe,
  });
}

describe(buildProbe.name, () => {
  let dir: string;
  let lenet: Uint8Array;
  let int8: Uint8Array;
  const key = testKey();
  const pinned = platformPublicKey(key.dto);
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'worker-probe-'));
    lenet = new Uint8Array(await fs.readFile(LENET));
    int8 = encodeModelProto((await quantizeDynamic(loadModelProto(lenet))).model);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** What an agent does with a delivered variant: verify the signed manifest, then health-check with its probe. */
  async function agentCheck(bytes: Uint8Array, manifest: VariantManifest, signature: string) {
    verifyManifest(JSON.parse(JSON.stringify(manifest)), signature, pinned, { sha256: manifest.artifact.sha256, bytes: manifest.artifact.bytes });
    const file = path.join(dir, `${manifest.artifact.sha256}.onnx`);
    await fs.writeFile(file, bytes);
    const session = await ModelSession.create(file);
    try {
      return await healthCheck(session, manifest);
    } finally {
      await session.dispose();
    }
  }

  it('takes the first dataset samples, measures the variant on them, and the agent health check passes on the real int8 variant', async () => {
    const probe = (await buildProbe(int8, 'int8', EVAL))!;
    expect(probe.inputs.input!.dims).toEqual([4, 1, 28, 28]);
    expect(probe.outputs.output!.dims).toEqual([4, 10]);
    // the inputs are the dataset's first four images (rounded to 6 significant digits)
    const npz = await openNpz(EVAL);
    const first = await npz.batches('input', 4).next();
    const want = Array.from(first.value!.data as Float32Array);
    expect(probe.inputs.input!.data.every((v, i) => Math.abs(v - want[i]!) <= 1e-6 * Math.max(1, Math.abs(want[i]!)))).toBe(true);
    // int8 tolerance: looser than fp32, scaled by the logits' magnitude
    const maxAbs = Math.max(...probe.outputs.output!.data.map(Math.abs));
    expect(probe.tolerance).toBeCloseTo(PROBE_TOLERANCE.int8 * Math.max(1, maxAbs), 2);
    const manifest = manifestFor(int8, probe);
    const signature = sign(null, Buffer.from(canonicalJson(manifest)), key.privateKey).toString('base64');
    expect(await agentCheck(int8, manifest, signature)).toEqual({ probed: true });
    // small: well under the cap, and every number short enough to come back from jsonb unchanged (signed bytes)
    expect(JSON.stringify(probe).length).toBeLessThan(60_000);
    const numbers = [...Object.values(probe.inputs), ...Object.values(probe.outputs)].flatMap((t) => t.data);
    expect(numbers.every((v) => Number(v.toPrecision(7)) === v)).toBe(true);
  });

  it('a tampered probe output, validly signed, makes the agent refuse the variant', async () => {
    const probe = (await buildProbe(lenet, 'fp32', EVAL))!;
    expect(probe.tolerance).toBeCloseTo(PROBE_TOLERANCE.fp32 * Math.max(1, ...probe.outputs.output!.data.map(Math.abs)), 4);
    const tampered: VariantProbe = structuredClone(probe);
    tampered.outputs.output!.data[3] = tampered.outputs.output!.data[3]! + 10 * probe.tolerance;
    const manifest = manifestFor(lenet, tampered);
    const signature = sign(null, Buffer.from(canonicalJson(manifest)), key.privateKey).toString('base64');
    await expect(agentCheck(lenet, manifest, signature)).rejects.toThrow(HealthCheckError);
    await expect(agentCheck(lenet, manifest, signature)).rejects.toThrow(/probe output output differs at 3/);
    // the untampered one passes
    const ok = manifestFor(lenet, probe);
    expect(await agentCheck(lenet, ok, sign(null, Buffer.from(canonicalJson(ok)), key.privateKey).toString('base64'))).toEqual({ probed: true });
  });

  it('feeds a fixed-batch model its whole batch; without a dataset uses the generated pattern; none over the float cap', async () => {
    const bn = new Uint8Array(await fs.readFile(LENET_BN));
    const fixed = (await buildProbe(bn, 'fp32'))!;
    expect(fixed.inputs.input_0!.dims).toEqual([10, 1, 28, 28]);
    expect(fixed.inputs.input_0!.data[1]).toBeCloseTo((Math.sin(0.37) + 1) / 2, 5);
    const manifest = manifestFor(bn, fixed);
    expect(await agentCheck(bn, manifest, sign(null, Buffer.from(canonicalJson(manifest)), key.privateKey).toString('base64'))).toEqual({ probed: true });
    // one MobileNet sample is 3×128×128 = 49,152 floats: no probe rather than a 500 KB manifest
    expect(3 * 128 * 128).toBeGreaterThan(PROBE_MAX_FLOATS);
    expect(await buildProbe(new Uint8Array(await fs.readFile(MOBILENET)), 'fp32')).toBeNull();
  });
});
