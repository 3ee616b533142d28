import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionCache } from '../src/runtime/model-session.js';

const LENET = path.resolve(import.meta.dirname, '../../../../shared/fixtures/models/mnist-lenet5/model.onnx');
const input = { input: { dims: [1, 1, 28, 28], data: new Float32Array(784) } };

describe('SessionCache', () => {
  it('shares one session per sha256 and releases it when the last holder disposes', async () => {
    const cache = new SessionCache();
    const [a, b] = await Promise.all([cache.acquire('x', LENET), cache.acquire('x', LENET)]);
    expect(a).toBe(b);
    expect(cache.size).toBe(1);
    await a.dispose();
    expect(a.released).toBe(false);
    expect((await b.run(input)).output!.dims).toEqual([1, 10]);
    await b.dispose();
    expect(b.released).toBe(true);
    expect(cache.size).toBe(0);
    const c = await cache.acquire('x', LENET);
    expect(c).not.toBe(a);
    expect((await c.run(input)).output!.dims).toEqual([1, 10]);
    await c.dispose();
    await expect(cache.acquire('y', '/nonexistent.onnx')).rejects.toThrow();
    expect(cache.size).toBe(0);
  });
});
