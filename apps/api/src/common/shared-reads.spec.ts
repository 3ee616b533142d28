import { describe, expect, it } from 'vitest';
import { SharedReads } from './shared-reads.js';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('SharedReads', () => {
  it('gives concurrent and fresh repeated reads of a key one load, and loads again once it expires', async () => {
    let t = 0;
    const reads = new SharedReads<number>(1000, () => t);
    let loads = 0;
    const load = async () => ++loads;
    expect(await Promise.all([reads.get('a', load), reads.get('a', load)])).toEqual([1, 1]);
    t = 999;
    expect(await reads.get('a', load)).toBe(1);
    expect(await reads.get('b', load)).toBe(2);
    t = 1000;
    expect(await reads.get('a', load)).toBe(3);
    expect(loads).toBe(3);
  });

  it('loads afresh after an invalidation, even while the earlier load is still in flight', async () => {
    const reads = new SharedReads<string>(60_000);
    const before = deferred<string>();
    const joined = [reads.get('d', () => before.promise), reads.get('d', () => Promise.resolve('unused'))];
    reads.invalidate('d');
    const after = reads.get('d', async () => 'new');
    before.resolve('old');
    // Who asked before the change shares the old read; who asks after it never sees it.
    expect(await Promise.all(joined)).toEqual(['old', 'old']);
    expect(await after).toBe('new');
    expect(await reads.get('d', async () => 'newer')).toBe('new');
  });

  it('does not keep a failed load', async () => {
    const reads = new SharedReads<string>(60_000);
    const failing = deferred<string>();
    const first = reads.get('k', () => failing.promise);
    failing.reject(new Error('db down'));
    await expect(first).rejects.toThrow('db down');
    expect(await reads.get('k', async () => 'ok')).toBe('ok');
  });

  it('sweeps expired keys as the map grows, so it holds about the keys read within the ttl', async () => {
    let t = 0;
    const reads = new SharedReads<number>(100, () => t);
    for (let i = 0; i < 1000; i++) await reads.get(`old-${i}`, async () => i);
    t = 200;
    for (let i = 0; i < 100; i++) await reads.get(`new-${i}`, async () => i);
    expect(reads.size).toBe(100);
  });
});
