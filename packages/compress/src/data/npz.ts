import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { constants as zlibConstants, crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import { CompressError, describeCause } from '../errors.js';
import {
  allocateTypedArray,
  elementCount,
  parseNpyHeader,
  typedArrayOver,
  type NpyDtype,
  type NpyHeader,
  type NpyTypedArray,
} from './npy.js';
import { entryDataOffset, readZipDirectory, ZIP_DEFLATED, type ZipEntry } from './zip.js';

export interface NpzArrayInfo {
  /** Member name without `.npy`; may contain punctuation (`input_1:0`). */
  name: string;
  dtype: NpyDtype;
  shape: number[];
}

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyTypedArray;
}

export interface NpzBatch {
  /** Index of the first sample (axis 0) in this batch. */
  start: number;
  count: number;
  /** `[count, ...shape.slice(1)]` */
  shape: number[];
  data: NpyTypedArray;
}

export interface NpzFile {
  path: string;
  arrays: NpzArrayInfo[];
  /** Inflates one whole array into memory. */
  readArray(name: string): Promise<NpyArray>;
  /**
   * Streams one array in slices along axis 0; memory stays around one batch however large the
   * array. Size and CRC are verified when the stream ends, so corruption surfaces as a
   * `dataset/invalid` error from the final iteration step rather than up front.
   */
  batches(name: string, batchSize: number): AsyncGenerator<NpzBatch, void, undefined>;
}

interface Member {
  info: NpzArrayInfo;
  entry: ZipEntry;
  dataOffset: number;
  header: NpyHeader;
}

// First compressed read when sniffing a header; NumPy headers are 128 bytes, so this nearly always suffices.
const HEADER_PROBE_BYTES = 1024;
const STREAM_CHUNK_BYTES = 256 * 1024;

/**
 * Lists the arrays of an .npz (NumPy's zip of .npy files) by reading the zip directory and
 * inflating only the first bytes of each member. Members are read later, by path, so nothing
 * stays open between calls.
 */
export async function openNpz(path: string): Promise<NpzFile> {
  const members = new Map<string, Member>();
  await withFile(path, async (handle, fileSize) => {
    for (const entry of await readZipDirectory(handle, fileSize)) {
      if (entry.name.endsWith('/') || entry.name.startsWith('__MACOSX/')) continue;
      if (!entry.name.endsWith('.npy')) throw invalid(`"${entry.name}" is not a .npy member; an .npz holds only .npy files`);
      const name = entry.name.slice(0, -'.npy'.length);
      if (members.has(name)) throw invalid(`array "${name}" appears twice`);
      const dataOffset = await entryDataOffset(handle, entry, fileSize);
      const header = await readMemberHeader(handle, entry, dataOffset, name);
      members.set(name, { info: { name, dtype: header.dtype, shape: header.shape }, entry, dataOffset, header });
    }
  });

  const member = (name: string): Member => {
    const found = members.get(name);
    if (!found) throw new CompressError('dataset/mismatch', 'npz', `no array named "${name}" in ${path}`);
    return found;
  };

  return {
    path,
    arrays: [...members.values()].map(({ info }) => ({ ...info, shape: [...info.shape] })),
    readArray: async (name) => readWholeArray(path, member(name)),
    batches: (name, batchSize) => streamBatches(path, member(name), batchSize),
  };
}

async function withFile<T>(path: string, use: (handle: FileHandle, size: number) => Promise<T>): Promise<T> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new CompressError('io/read_failed', 'npz', `cannot open ${path}: ${describeCause(err)}`, { cause: err });
  }
  try {
    return await use(handle, (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

async function readMemberHeader(handle: FileHandle, entry: ZipEntry, dataOffset: number, name: string): Promise<NpyHeader> {
  const label = `array "${name}"`;
  let compressedBytes = Math.min(entry.compressedSize, HEADER_PROBE_BYTES);
  for (;;) {
    const compressed = Buffer.alloc(compressedBytes);
    await handle.read(compressed, 0, compressedBytes, dataOffset);
    const prefix = entry.method === ZIP_DEFLATED ? inflatePrefix(compressed, label) : compressed;
    const parsed = parseNpyHeader(prefix, label);
    if (!('needBytes' in parsed)) {
      const expected = parsed.dataOffset + elementCount(parsed.shape) * parsed.itemSize;
      if (expected !== entry.uncompressedSize) {
        throw invalid(`${label}: header promises ${expected} bytes, the zip member holds ${entry.uncompressedSize}`);
      }
      return parsed;
    }
    if (compressedBytes === entry.compressedSize) throw invalid(`${label}: member ends inside the .npy header`);
    compressedBytes = Math.min(entry.compressedSize, compressedBytes * 4);
  }
}

/** Inflates a leading slice of a deflate stream; SYNC_FLUSH makes zlib return what it has instead of failing. */
function inflatePrefix(compressed: Uint8Array, label: string): Buffer {
  try {
    return inflateRawSync(compressed, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (err) {
    throw invalid(`${label}: corrupt deflate data (${describeCause(err)})`);
  }
}

async function readWholeArray(path: string, member: Member): Promise<NpyArray> {
  const { dtype, shape } = member.info;
  const data = allocateTypedArray(dtype, elementCount(shape));
  const target = new Uint8Array(data.buffer);
  let filled = 0;
  for await (const chunk of payloadChunks(path, member)) {
    target.set(chunk, filled);
    filled += chunk.length;
  }
  return { dtype, shape: [...shape], data };
}

async function* streamBatches(path: string, member: Member, batchSize: number): AsyncGenerator<NpzBatch, void, undefined> {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const { dtype, shape } = member.info;
  if (shape.length === 0) throw invalid(`array "${member.info.name}" is 0-d and has no sample axis to batch over`);
  const [samples = 0, ...rest] = shape;
  const rowBytes = elementCount(rest) * member.header.itemSize;

  let start = 0;
  let batch = nextBatch(0);
  let filled = 0;
  function nextBatch(from: number): Uint8Array {
    return new Uint8Array(Math.min(batchSize, samples - from) * rowBytes);
  }
  function emit(): NpzBatch {
    const count = rowBytes === 0 ? Math.min(batchSize, samples - start) : batch.length / rowBytes;
    const result = { start, count, shape: [count, ...rest], data: typedArrayOver(dtype, batch.buffer as ArrayBuffer) };
    start += count;
    batch = nextBatch(start);
    filled = 0;
    return result;
  }

  if (rowBytes === 0) {
    while (start < samples) yield emit();
    return;
  }
  for await (const chunk of payloadChunks(path, member)) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(batch.length - filled, chunk.length - offset);
      batch.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === batch.length) yield emit();
    }
  }
}

/** The member's array bytes (header skipped), decompressed on the fly and checked against size and CRC. */
async function* payloadChunks(path: string, member: Member): AsyncGenerator<Buffer, void, undefined> {
  let toSkip = member.header.dataOffset;
  for await (const chunk of memberChunks(path, member)) {
    if (toSkip >= chunk.length) {
      toSkip -= chunk.length;
      continue;
    }
    yield toSkip > 0 ? chunk.subarray(toSkip) : chunk;
    toSkip = 0;
  }
}

async function* memberChunks(path: string, { entry, dataOffset, info }: Member): AsyncGenerator<Buffer, void, undefined> {
  const label = `array "${info.name}"`;
  if (entry.compressedSize === 0) {
    if (entry.uncompressedSize !== 0) throw invalid(`${label}: member is empty`);
    return;
  }
  const source = createReadStream(path, {
    start: dataOffset,
    end: dataOffset + entry.compressedSize - 1,
    highWaterMark: STREAM_CHUNK_BYTES,
  });
  const inflate = entry.method === ZIP_DEFLATED ? createInflateRaw({ chunkSize: STREAM_CHUNK_BYTES }) : undefined;
  // pipeline() forwards a read error into the inflate stream, which our loop then sees.
  const stream = inflate ? pipeline(source, inflate, () => undefined) : source;
  let total = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > entry.uncompressedSize) throw invalid(`${label}: inflates to more than its recorded ${entry.uncompressedSize} bytes`);
      crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof CompressError) throw err;
    throw invalid(`${label}: cannot read member data (${describeCause(err)})`, err);
  } finally {
    source.destroy();
    inflate?.destroy();
  }
  if (total !== entry.uncompressedSize) throw invalid(`${label}: member data is truncated (${total} of ${entry.uncompressedSize} bytes)`);
  if (crc >>> 0 !== entry.crc32 >>> 0) throw invalid(`${label}: CRC mismatch, the file is corrupt`);
}

function invalid(detail: string, cause?: unknown): CompressError {
  return new CompressError('dataset/invalid', 'npz', detail, cause === undefined ? undefined : { cause });
}
