import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumableDownload } from '../src/download/resumable-download.js';

describe('resumableDownload', () => {
  const body = randomBytes(256 * 1024);
  const sha = createHash('sha256').update(body).digest('hex');
  const seen: { range?: string; ifRange?: string }[] = [];
  let server: http.Server;
  let url: string;
  let dir: string;
  let dropFirst = true;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-dl-'));
    server = http.createServer((req, res) => {
      seen.push({ range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined });
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (m && req.headers['if-range'] === `"${sha}"`) {
        const from = Number(m[1]);
        res.writeHead(206, { 'content-length': body.length - from, 'content-range': `bytes ${from}-${body.length - 1}/${body.length}`, etag: `"${sha}"` });
        res.end(body.subarray(from));
        return;
      }
      res.writeHead(200, { 'content-length': body.length, etag: `"${sha}"` });
      if (dropFirst) {
        dropFirst = false;
        // half the bytes, then the connection drops
        res.write(body.subarray(0, body.length / 2), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/artifact`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('resumes with Range + If-Range after the connection drops half-way, and verifies the sha256', async () => {
    const res = await resumableDownload({ url, sha256: sha, bytes: body.length, dir });
    expect(res.path).toBe(path.join(dir, `${sha}.partial`));
    expect(Buffer.compare(await fs.readFile(res.path), body)).toBe(0);
    expect(res.requests).toBe(2);
    expect(res.rangeRequests).toBe(1);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.range).toBeUndefined();
    expect(Number(/^bytes=(\d+)-$/.exec(seen[1]!.range!)![1])).toBeGreaterThan(0);
    expect(seen[1]!.ifRange).toBe(`"${sha}"`);
  });

  it('deletes the partial and reports when the bytes do not hash to the announced sha256', async () => {
    const wrong = 'f'.repeat(64);
    await expect(resumableDownload({ url, sha256: wrong, bytes: body.length, dir })).rejects.toMatchObject({ code: 'download/sha256_mismatch' });
    await expect(fs.stat(path.join(dir, `${wrong}.partial`))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('deletes the partial and reports a size mismatch', async () => {
    const other = 'e'.repeat(64);
    await expect(resumableDownload({ url, sha256: other, bytes: body.length + 10, dir, attempts: 2 })).rejects.toMatchObject({ code: 'download/size_mismatch' });
    await expect(fs.stat(path.join(dir, `${other}.partial`))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
