import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedInputs, healthCheck } from '../src/health/health-check.js';
import { ModelSession } from '../src/runtime/model-session.js';
import { InferenceServer } from '../src/server/inference-server.js';
import { waitFor } from './fake-device-api.js';
import { unaryChain } from './onnx-models.js';

const LENET = path.resolve(import.meta.dirname, '../../../../shared/fixtures/models/mnist-lenet5/model.onnx');
const SHA = 'a'.repeat(64);
const M = (c: string) => ({ sha256: c.repeat(64), versionId: '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', variantId: '8f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e' });

describe('InferenceServer + ModelSession (mnist-lenet5)', () => {
  let server: InferenceServer;
  let base: string;
  const feedback: unknown[] = [];
  const inferences: boolean[] = [];
  beforeAll(async () => {
    server = new InferenceServer({ port: 0, onFeedback: (f) => void feedback.push(f), onInference: (_v, _ms, ok) => void inferences.push(ok) });
    base = `http://127.0.0.1:${await server.listen()}`;
  });
  afterAll(async () => {
    await server.close();
  });

  const infer = (data: number[]) => fetch(`${base}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: { input: { dims: [1, 1, 28, 28], data } } }) });

  it('maps the input spec, passes the health check, serves /v1/infer, takes feedback and hot-swaps', async () => {
    expect((await infer(new Array(784).fill(0))).status).toBe(503);
    const first = await ModelSession.create(LENET);
    expect(first.inputs).toEqual([{ name: 'input', type: 'float32', shape: ['batch_size', 1, 28, 28] }]);
    expect(generatedInputs(first.inputs).input!.dims).toEqual([1, 1, 28, 28]);
    expect(await healthCheck(first)).toEqual({ probed: false });
    await server.swap(first, M('a'));

    const res = await infer(Array.from({ length: 784 }, (_, i) => (i % 28) / 28));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictionId: string; modelVersion: { sha256: string }; outputs: Record<string, { dims: number[]; data: number[] }> };
    expect(body.modelVersion.sha256).toBe(SHA);
    expect(body.outputs.output!.dims).toEqual([1, 10]);
    expect(body.outputs.output!.data).toHaveLength(10);

    expect((await fetch(`${base}/v1/feedback`, { method: 'POST', body: JSON.stringify({ predictionId: body.predictionId, label: 3 }) })).status).toBe(202);
    expect(feedback).toMatchObject([{ predictionId: body.predictionId, label: 3, predicted: expect.any(Number) }]);
    expect((await fetch(`${base}/v1/feedback`, { method: 'POST', body: JSON.stringify({ predictionId: 'nope', label: 3 }) })).status).toBe(404);

    // swap while requests are in flight: they all finish, the old session is disposed once
    const pending = Array.from({ length: 20 }, () => infer(new Array(784).fill(0.5)));
    await server.swap(await ModelSession.create(LENET), M('b'));
    const results = await Promise.all(pending);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(server.disposedSessions).toBe(1);
    const after = (await (await infer(new Array(784).fill(0))).json()) as { modelVersion: { sha256: string } };
    expect(after.modelVersion.sha256).toBe('b'.repeat(64));
    expect((await (await fetch(`${base}/v1/status`)).json()) as object).toMatchObject({ model: { sha256: 'b'.repeat(64) } });
    expect((await infer([1, 2])).status).toBe(400);
    expect(inferences.filter((ok) => ok).length).toBe(22); // 1 + 20 in flight during the swap + 1 after
  });

  it('takes application/octet-stream float32 bodies with X-Dims, matching the JSON result; in-process infer() too', async () => {
    const data = Float32Array.from({ length: 784 }, (_, i) => ((i * 7) % 28) / 28);
    const bin = (body: Uint8Array, dims?: string) =>
      fetch(`${base}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...(dims ? { 'x-dims': dims } : {}) }, body });
    const res = await bin(new Uint8Array(data.buffer), '1,1,28,28');
    expect(res.status).toBe(200);
    const b = (await res.json()) as { modelVersion: { sha256: string }; outputs: Record<string, { dims: number[]; data: number[] }> };
    const j = (await (await infer(Array.from(data))).json()) as typeof b;
    expect(b.outputs.output!.dims).toEqual([1, 10]);
    expect(b.outputs.output!.data).toEqual(j.outputs.output!.data);
    const direct = await server.infer({ input: { dims: [1, 1, 28, 28], data } });
    expect(direct.outputs.output!.data).toEqual(j.outputs.output!.data);
    expect(direct.modelVersion.sha256).toBe('b'.repeat(64));
    // a Buffer slice at an odd offset still decodes
    const odd = Buffer.concat([Buffer.from([0]), Buffer.from(data.buffer)]).subarray(1);
    expect((await bin(odd, '1,1,28,28')).status).toBe(200);
    const missing = await bin(new Uint8Array(data.buffer));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe('request/validation_failed');
    expect((await bin(new Uint8Array(data.buffer), '1,1,28,27')).status).toBe(400);
    expect((await bin(new Uint8Array(data.buffer), 'a,b')).status).toBe(400);
  });
});

describe('InferenceServer probation after a swap', () => {
  it('a healthy new model passes its probation and the previous session is released; inputs both models reject do not count against it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-probation-'));
    try {
      await fs.writeFile(path.join(dir, 'a.onnx'), unaryChain(['Abs']));
      await fs.writeFile(path.join(dir, 'b.onnx'), unaryChain(['Abs', 'Sqrt']));
      const events: string[] = [];
      const server = new InferenceServer();
      await server.swap(await ModelSession.create(path.join(dir, 'a.onnx')), M('a'));
      await server.swap(await ModelSession.create(path.join(dir, 'b.onnx')), M('b'), {
        requests: 5,
        maxFailures: 0,
        onFallback: () => void events.push('fallback'),
        onPassed: (m) => void events.push(`passed ${m.sha256[0]}`),
      });
      expect(server.fallbackModel?.sha256).toBe(SHA);
      expect(server.probation).toMatchObject({ sha256: 'b'.repeat(64), requests: 5, maxFailures: 0, checked: 0, failures: 0 });
      expect(server.disposedSessions).toBe(0);
      // wrong width: both models throw; the request fails (400) but is not the new model's fault
      await expect(server.infer({ x: { dims: [1, 3], data: new Float32Array(3) } })).rejects.toMatchObject({ status: 400 });
      for (let i = 0; i < 5; i++) expect((await server.infer({ x: { dims: [1, 4], data: Float32Array.from([4, -9, 16, 25]) } })).outputs.y!.data).toEqual([2, 3, 4, 5]);
      expect(events).toEqual(['passed b']);
      expect(server.probation).toBeNull();
      expect(server.fallbackModel).toBeNull();
      await waitFor(() => server.disposedSessions === 1);
      expect(server.model?.sha256).toBe('b'.repeat(64));
      await server.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
