import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode } from '@edgefleet/contracts';
import busboy from 'busboy';
import { AppError } from '../common/app-error.js';

export interface ReceivedFile {
  /** A temp file the caller must move into storage or delete (see `discard`). */
  tempPath: string;
  originalName: string;
  byteSize: number;
  sha256: string;
}

export interface ReceivedUpload {
  file: ReceivedFile;
  fields: Record<string, string>;
  discard(): Promise<void>;
}

export interface ReceiveOptions {
  tmpDir: string;
  maxBytes: number;
  /** Name of the one file part. @defaultValue 'file' */
  fileField?: string;
}

const MAX_FIELDS = 20;
const MAX_FIELD_BYTES = 64 * 1024;

/**
 * Streams one multipart file part to a temp file while hashing it; the body is never held in memory.
 * The whole request is always consumed before this settles, so a rejected upload still gets a clean
 * HTTP response, and on any failure the temp file is removed.
 */
export async function receiveMultipartUpload(
  req: Readable & { headers: Record<string, string | string[] | undefined> },
  { tmpDir, maxBytes, fileField = 'file' }: ReceiveOptions,
): Promise<ReceivedUpload> {
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers as import('node:http').IncomingHttpHeaders,
      limits: { files: 1, fileSize: maxBytes, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES },
    });
  } catch (err) {
    await drainRequest(req);
    throw new AppError(ErrorCode.UploadMalformed, `expected a multipart/form-data body: ${(err as Error).message}`);
  }

  await fsp.mkdir(tmpDir, { recursive: true });
  const tempPath = path.join(tmpDir, `upload-${randomUUID()}`);
  const fields: Record<string, string> = {};
  let file: ReceivedFile | undefined;
  let failure: AppError | undefined;
  let fileWrite: Promise<void> | undefined;
  const fail = (err: AppError) => {
    failure ??= err;
  };

  bb.on('field', (name, value, info) => {
    if (info.valueTruncated) fail(new AppError(ErrorCode.UploadMalformed, `field "${name}" is longer than ${MAX_FIELD_BYTES} bytes`));
    fields[name] = value;
  });
  bb.on('fieldsLimit', () => fail(new AppError(ErrorCode.UploadMalformed, `more than ${MAX_FIELDS} form fields`)));
  bb.on('filesLimit', () => fail(new AppError(ErrorCode.UploadMalformed, 'only one file part is accepted')));
  bb.on('file', (name, stream, info) => {
    if (name !== fileField) {
      fail(new AppError(ErrorCode.UploadMalformed, `unexpected file part "${name}", the file goes in "${fileField}"`));
      stream.resume();
      return;
    }
    const hash = createHash('sha256');
    let byteSize = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        byteSize += chunk.length;
        cb(null, chunk);
      },
    });
    stream.on('limit', () => {
      fail(new AppError(ErrorCode.PayloadTooLarge, `the file is larger than the limit of ${maxBytes} bytes`));
    });
    fileWrite = pipeline(stream, meter, fs.createWriteStream(tempPath, { mode: 0o600 })).then(() => {
      file = { tempPath, originalName: info.filename ?? 'upload', byteSize, sha256: hash.digest('hex') };
    });
    // Awaited below on success; on a parse failure nobody awaits it, so keep it from going unhandled.
    fileWrite.catch(() => undefined);
  });

  const parsed = new Promise<void>((resolve, reject) => {
    bb.on('close', resolve);
    bb.on('error', (err: Error) => reject(new AppError(ErrorCode.UploadMalformed, `malformed multipart body: ${err.message}`)));
    req.on('error', (err) => reject(new AppError(ErrorCode.UploadMalformed, `upload interrupted: ${err.message}`)));
    req.on('aborted', () => reject(new AppError(ErrorCode.UploadMalformed, 'upload interrupted by the client')));
  });
  req.pipe(bb);

  const discard = () => fsp.rm(tempPath, { force: true });
  try {
    await parsed;
    await fileWrite;
    if (failure) throw failure;
    if (!file) throw new AppError(ErrorCode.UploadMalformed, `no file part named "${fileField}" in the form`);
    if (file.byteSize === 0) throw new AppError(ErrorCode.UploadMalformed, 'the uploaded file is empty');
    return { file, fields, discard };
  } catch (err) {
    req.unpipe(bb);
    await drainRequest(req);
    await discard();
    throw err;
  }
}

/**
 * Reads and discards the rest of a request body. Answering before the client has finished sending
 * makes it see EPIPE/ECONNRESET instead of our error response, so rejections wait for the body first.
 */
export function drainRequest(req: Readable): Promise<void> {
  if (req.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    req.on('end', resolve);
    req.on('close', resolve);
    req.on('error', () => resolve());
    req.resume();
  });
}
