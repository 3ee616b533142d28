import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActivePointers, ModelStore } from '../src/store/model-store.js';

const sha = (c: string) => c.repeat(64);
const model = (c: string) => ({ sha256: sha(c), versionId: '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', variantId: '8f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', installedAt: new Date().toISOString() });

describe('ModelStore', () => {
  let dir: string;
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function installFake(store: ModelStore, c: string) {
    const tmp = path.join(dir, `${c}.partial`);
    await fs.writeFile(tmp, `model-${c}`);
    await store.install(tmp, sha(c));
  }

  it('keeps current and previous, prunes the rest, and active.json always parses while pointers swap', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-store-'));
    const store = new ModelStore(dir);
    expect(await store.pointers()).toEqual({ v: 1, current: null, previous: null });
    await installFake(store, 'a');
    await store.activate(model('a'));
    await installFake(store, 'b');
    await installFake(store, 'c');

    // a reader hammering active.json while the pointers flip must never see a torn file
    let reads = 0;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const text = await fs.readFile(store.activeFile, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
        if (text !== null) {
          ActivePointers.parse(JSON.parse(text));
          reads++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 60; i++) await store.activate(model(i % 2 === 0 ? 'b' : 'a'));
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);

    const p = await store.pointers();
    expect(p.current?.sha256).toBe(sha('a'));
    expect(p.previous?.sha256).toBe(sha('b'));
    // c is named by neither pointer: pruned; a and b stay for rollback
    expect((await fs.readdir(store.modelsDir)).sort()).toEqual([`${sha('a')}.onnx`, `${sha('b')}.onnx`]);
    // no temp files left next to active.json
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a crash before the rename leaves the old pointers in place', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-store-'));
    const store = new ModelStore(dir);
    await installFake(store, 'a');
    await store.activate(model('a'));
    // what an interrupted write leaves: a half-written temp file beside active.json
    await fs.writeFile(path.join(dir, '.active.json.123.tmp'), '{"v":1,"curr');
    expect((await store.pointers()).current?.sha256).toBe(sha('a'));
    expect(await store.has(sha('a'))).toBe(true);
  });
});
