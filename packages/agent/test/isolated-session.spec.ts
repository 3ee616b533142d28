import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IsolatedSession } from '../src/runtime/isolated-session.js';
import { ModelSession } from '../src/runtime/model-session.js';
import { LENET, mnistImages } from './onnx-models.js';

/** The longest the JS thread went without running a 1 ms interval while `work` ran. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    await work();
    await new Promise((r) => setTimeout(r, 5));
  } finally {
    clearInterval(tick);
  }
  return longest;
}

describe(IsolatedSession.name, () => {
  it('gives the same outputs as an in-process session, without holding up the JS thread while it runs', async () => {
    const sut = await IsolatedSession.create(LENET);
    const local = await ModelSession.create(LENET);
    try {
      expect(sut.inputs).toEqual(local.inputs);
      expect(sut.outputs).toEqual(local.outputs);
      for (const img of mnistImages(5)) {
        const feeds = { input: { dims: [1, 1, 28, 28], data: img } };
        const [a, b] = await Promise.all([sut.run(feeds), local.run(feeds)]);
        expect(a.output!.dims).toEqual([1, 10]);
        expect(Array.from(a.output!.data)).toEqual(Array.from(b.output!.data));
      }
      // a long run: in-process it blocks timers for its whole duration, isolated it does not
      const n = 3000;
      const big = { input: { dims: [n, 1, 28, 28], data: new Float32Array(n * 784).fill(0.5) } };
      await local.run(big);
      const inProcessLag = await longestStall(() => local.run(big));
      const isolatedLag = await longestStall(() => sut.run(big));
      expect(inProcessLag).toBeGreaterThan(50); // the whole run (~100+ ms for 3000 digits)
      expect(isolatedLag).toBeLessThan(inProcessLag / 4);
    } finally {
      await sut.dispose();
      await local.dispose();
    }
    expect(sut.released).toBe(true);
    await expect(sut.run({ input: { dims: [1, 1, 28, 28], data: new Float32Array(784) } })).rejects.toThrow(/exited/);
  });

  it('reports a failed run as an error and keeps serving; a model it cannot load rejects create()', async () => {
    const sut = await IsolatedSession.create(LENET);
    try {
      await expect(sut.run({ input: { dims: [1, 3], data: new Float32Array(3) } })).rejects.toThrow(/agent\/runtime/);
      expect((await sut.run({ input: { dims: [1, 1, 28, 28], data: new Float32Array(784) } })).output!.dims).toEqual([1, 10]);
    } finally {
      await sut.dispose();
    }
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-isolated-'));
    try {
      await fs.writeFile(path.join(dir, 'junk.onnx'), 'not a model');
      await expect(IsolatedSession.create(path.join(dir, 'junk.onnx'))).rejects.toThrow(/agent\/runtime/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
