import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';

export class DownloadError extends Error {
  constructor(
    readonly code: 'download/size_mismatch' | 'download/sha256_mismatch' | 'download/http' | 'download/gave_up',
    message: string,
    /** The HTTP status of a `download/http` failure. */
    readonly status?: number,
  ) {
    super(`agent/download: ${message}`);
  }

  /** The server or the network failed (5xx, connection lost on every attempt): worth trying again later. */
  get transient(): boolean {
    return this.code === 'download/gave_up' || (this.code === 'download/http' && (this.status ?? 0) >= 500);
  }
}

export interface DownloadRequest {
  url: string;
  sha256: string;
  bytes: number;
  /** `<state>/downloads`; the partial lives at `<dir>/<sha256>.partial`. */
  dir: string;
  headers?: Record<string, string>;
  /** Tries after an interrupted transfer. @defaultValue 5 */
  attempts?: number;
  signal?: AbortSignal;
}

export interface DownloadResult {
  /** The complete, verified file (still `.partial`; the model store moves it in). */
  path: string;
  /** HTTP requests made, and how many of them asked for a Range. */
  requests: number;
  rangeRequests: number;
}

const sizeOf = async (file: string) => (await fs.stat(file).catch(() => null))?.size ?? 0;

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Downloads an artifact, resuming an interrupted transfer with `Range: bytes=<have>-` and `If-Range: "<sha256>"`
 * (the API's ETag is the sha256, so a different blob answers 200 and the partial restarts from zero). The result
 * must have the announced size and sha256; otherwise the partial is deleted and a {@link DownloadError} thrown.
 */
export async function resumableDownload(req: DownloadRequest): Promise<DownloadResult> {
  await fs.mkdir(req.dir, { recursive: true });
  const partial = path.join(req.dir, `${req.sha256}.partial`);
  const attempts = req.attempts ?? 5;
  let requests = 0;
  let rangeRequests = 0;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    let have = await sizeOf(partial);
    if (have > req.bytes) {
      await fs.rm(partial, { force: true });
      have = 0;
    }
    if (have === req.bytes) break;
    const headers: Record<string, string> = { ...req.headers };
    if (have > 0) {
      headers.range = `bytes=${have}-`;
      headers['if-range'] = `"${req.sha256}"`;
      rangeRequests++;
    }
    requests++;
    try {
      const res = await fetch(req.url, { headers, signal: req.signal });
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel();
        throw new DownloadError('download/http', `GET ${req.url}: ${res.status}`, res.status);
      }
      // 200 to a ranged request: the server restarts from zero (If-Range did not match).
      const append = res.status === 206 && have > 0;
      await pipeline(Readable.fromWeb(res.body! as any), createWriteStream(partial, { flags: append ? 'a' : 'w' }));
    } catch (err) {
      if (req.signal?.aborted || (err instanceof DownloadError && err.code === 'download/http')) throw err;
      lastError = err;
      continue;
    }
    if ((await sizeOf(partial)) >= req.bytes) break;
  }
  const size = await sizeOf(partial);
  if (size < req.bytes && lastError) throw new DownloadError('download/gave_up', `${attempts} attempts: ${(lastError as Error).message}`);
  if (size !== req.bytes) {
    await fs.rm(partial, { force: true });
    throw new DownloadError('download/size_mismatch', `expected ${req.bytes} bytes, got ${size}`);
  }
  const sha = await sha256File(partial);
  if (sha !== req.sha256) {
    await fs.rm(partial, { force: true });
    throw new DownloadError('download/sha256_mismatch', `expected sha256 ${req.sha256}, got ${sha}`);
  }
  return { path: partial, requests, rangeRequests };
}
