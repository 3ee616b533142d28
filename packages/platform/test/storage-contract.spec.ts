import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ArtifactStorage, contentKey } from '../src/storage/artifact-storage.js';
import { LocalArtifactStorage } from '../src/storage/local-storage.js';
import { S3ArtifactStorage } from '../src/storage/s3-storage.js';
import { startS3Server, type TestS3Server } from '../dist/testing/index.js';

const keyOf = (bytes: Uint8Array) => contentKey(createHash('sha256').update(bytes).digest('hex'));
const readAll = async (stream: Readable) => Buffer.concat(await stream.toArray());
const exists = (file: string) => fs.access(file).then(() => true, () => false);

async function listAll(storage: ArtifactStorage): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of storage.list()) keys.push(key);
  return keys.sort();
}

interface Backend {
  name: string;
  kind: ArtifactStorage['kind'];
  /** A fresh, empty store and its teardown. */
  open(): Promise<{ storage: ArtifactStorage; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'LocalArtifactStorage',
    kind: 'local',
    async open() {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-local-'));
      return { storage: new LocalArtifactStorage(root), close: () => fs.rm(root, { recursive: true, force: true }) };
    },
  },
  {
    name: 'S3ArtifactStorage on s3rver',
    kind: 's3',
    async open() {
      const server = await startS3Server();
      // Small list pages make pagination cheap to cover.
      const storage = new S3ArtifactStorage({ ...server.options, listPageSize: 7 });
      return {
        storage,
        async close() {
          storage.destroy();
          await server.close();
        },
      };
    },
  },
];

describe.each(backends)('ArtifactStorage contract: $name', ({ kind, open }) => {
  let storage: ArtifactStorage;
  let closeStorage: () => Promise<void>;
  let tmp: string;
  let seq = 0;

  beforeAll(async () => {
    ({ storage, close: closeStorage } = await open());
  });
  afterAll(() => closeStorage?.());

  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-upload-'));
    for await (const key of storage.list()) await storage.delete(key);
  });
  afterEach(() => fs.rm(tmp, { recursive: true, force: true }));

  /** Writes bytes to a new upload temp file, as the multipart receiver does. */
  async function tempFile(bytes: Uint8Array): Promise<string> {
    const file = path.join(tmp, `upload-${seq++}`);
    await fs.writeFile(file, bytes);
    return file;
  }

  it(`reports kind "${kind}"`, () => {
    expect(storage.kind).toBe(kind);
  });

  it('knows nothing of a key never stored', async () => {
    const key = keyOf(Buffer.from('never stored'));
    expect(await storage.size(key)).toBeNull();
    expect(await listAll(storage)).toEqual([]);
    await expect(storage.read(key)).rejects.toThrow();
  });

  it('stores a file under its key, removes the temp file, and reads it back whole', async () => {
    const bytes = randomBytes(200_000);
    const key = keyOf(bytes);
    const file = await tempFile(bytes);
    await storage.putFile(file, key);
    expect(await exists(file)).toBe(false);
    expect(await storage.size(key)).toBe(bytes.length);
    expect((await readAll(await storage.read(key))).equals(bytes)).toBe(true);
    expect(await listAll(storage)).toEqual([key]);
  });

  it('reads inclusive byte ranges', async () => {
    const bytes = randomBytes(10_000);
    const key = keyOf(bytes);
    await storage.putFile(await tempFile(bytes), key);
    expect((await readAll(await storage.read(key, { start: 0, end: 999 }))).equals(bytes.subarray(0, 1000))).toBe(true);
    expect((await readAll(await storage.read(key, { start: 1234, end: 5678 }))).equals(bytes.subarray(1234, 5679))).toBe(true);
    expect((await readAll(await storage.read(key, { start: 9_999, end: 9_999 }))).equals(bytes.subarray(9_999))).toBe(true);
  });

  it('stores an empty file', async () => {
    const key = keyOf(Buffer.alloc(0));
    await storage.putFile(await tempFile(Buffer.alloc(0)), key);
    expect(await storage.size(key)).toBe(0);
    expect((await readAll(await storage.read(key))).length).toBe(0);
  });

  it('treats a second put under an existing key as a no-op that still removes the temp file', async () => {
    const bytes = randomBytes(4096);
    const key = keyOf(bytes);
    await storage.putFile(await tempFile(bytes), key);
    // Same size, other bytes: only a skipped upload leaves the first blob in place, which proves the skip.
    const impostor = await tempFile(randomBytes(bytes.length));
    await storage.putFile(impostor, key);
    expect(await exists(impostor)).toBe(false);
    expect((await readAll(await storage.read(key))).equals(bytes)).toBe(true);
    expect(await listAll(storage)).toEqual([key]);
  });

  it('deletes one blob, leaves the others, and ignores a key that is already gone', async () => {
    const a = randomBytes(1000);
    const b = randomBytes(2000);
    await storage.putFile(await tempFile(a), keyOf(a));
    await storage.putFile(await tempFile(b), keyOf(b));
    await storage.delete(keyOf(a));
    expect(await storage.size(keyOf(a))).toBeNull();
    expect(await storage.size(keyOf(b))).toBe(2000);
    expect(await listAll(storage)).toEqual([keyOf(b)]);
    await storage.delete(keyOf(a));
    await storage.delete(keyOf(b));
    expect(await listAll(storage)).toEqual([]);
  });

  it('lists every key across several list pages', async () => {
    const blobs = Array.from({ length: 23 }, (_, i) => Buffer.from(`blob ${i}`));
    const files = await Promise.all(blobs.map(tempFile));
    await Promise.all(blobs.map((b, i) => storage.putFile(files[i]!, keyOf(b))));
    expect(await listAll(storage)).toEqual(blobs.map(keyOf).sort());
  });
});

describe('S3ArtifactStorage beyond the contract', () => {
  let server: TestS3Server;
  let tmp: string;

  beforeAll(async () => {
    server = await startS3Server();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-upload-'));
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('replaces an object whose size does not match the upload, so a bad blob can be repaired', async () => {
    const storage = new S3ArtifactStorage(server.options);
    const bytes = randomBytes(3000);
    const key = keyOf(bytes);
    const truncated = path.join(tmp, 'truncated');
    await fs.writeFile(truncated, bytes.subarray(0, 100));
    await storage.putFile(truncated, key);
    const full = path.join(tmp, 'full');
    await fs.writeFile(full, bytes);
    await storage.putFile(full, key);
    expect(await storage.size(key)).toBe(3000);
    expect((await readAll(await storage.read(key))).equals(bytes)).toBe(true);
    storage.destroy();
  });

  it('fails listing and reading when the bucket does not exist, rather than returning nothing', async () => {
    const storage = new S3ArtifactStorage({ ...server.options, bucket: 'no-such-bucket' });
    await expect(listAll(storage)).rejects.toThrow();
    await expect(storage.read('sha256/00/00')).rejects.toThrow();
    storage.destroy();
  });
});
