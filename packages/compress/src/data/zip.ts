import type { FileHandle } from 'node:fs/promises';
import { CompressError } from '../errors.js';

/** What the central directory says about one member, with ZIP64 fields already applied. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export const ZIP_STORED = 0;
export const ZIP_DEFLATED = 8;

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;
const U16_SATURATED = 0xffff;
const U32_SATURATED = 0xffffffff;
const MAX_COMMENT = 0xffff;

/** Reads the central directory only; member data is never touched. */
export async function readZipDirectory(handle: FileHandle, fileSize: number): Promise<ZipEntry[]> {
  const tailSize = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tail = await readExactly(handle, fileSize - tailSize, tailSize);
  const eocdAt = findEndOfCentralDirectory(tail);
  if (eocdAt < 0) throw invalid('not a zip archive (no end-of-central-directory record)');
  const eocd = view(tail).subarray(eocdAt);
  if (eocd.u16(4) !== 0 || eocd.u16(6) !== 0) throw invalid('multi-disk zip archives are not supported');

  let entryCount = eocd.u16(10);
  let directorySize = eocd.u32(12);
  let directoryOffset = eocd.u32(16);
  if (entryCount === U16_SATURATED || directorySize === U32_SATURATED || directoryOffset === U32_SATURATED) {
    ({ entryCount, directorySize, directoryOffset } = await readZip64End(handle, fileSize - tailSize + eocdAt));
  }
  if (directoryOffset + directorySize > fileSize) throw invalid('zip central directory lies beyond the end of the file (truncated?)');

  const directory = view(await readExactly(handle, directoryOffset, directorySize));
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < entryCount; i += 1) {
    if (at + 46 > directory.length || directory.u32(at) !== CENTRAL_SIGNATURE) throw invalid('corrupt zip central directory');
    const flags = directory.u16(at + 8);
    const nameLength = directory.u16(at + 28);
    const extraLength = directory.u16(at + 30);
    const commentLength = directory.u16(at + 32);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > directory.length) throw invalid('corrupt zip central directory');
    const nameBytes = directory.bytes.subarray(at + 46, at + 46 + nameLength);
    // Bit 11 marks UTF-8 names; without it the spec says CP437, whose ASCII range is all NumPy writes.
    const name = Buffer.from(nameBytes).toString(flags & 0x800 ? 'utf8' : 'latin1');
    const entry: ZipEntry = {
      name,
      method: directory.u16(at + 10),
      flags,
      crc32: directory.u32(at + 16),
      compressedSize: directory.u32(at + 20),
      uncompressedSize: directory.u32(at + 24),
      localHeaderOffset: directory.u32(at + 42),
    };
    applyZip64Extra(entry, directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
    entries.push(entry);
    at = end;
  }
  return entries;
}

/** Offset of the member's data, which only the local header (its own name/extra lengths) knows. */
export async function entryDataOffset(handle: FileHandle, entry: ZipEntry, fileSize: number): Promise<number> {
  if (entry.localHeaderOffset + LOCAL_HEADER_SIZE > fileSize) throw invalid(`zip member "${entry.name}" lies beyond the end of the file`);
  const header = view(await readExactly(handle, entry.localHeaderOffset, LOCAL_HEADER_SIZE));
  if (header.u32(0) !== LOCAL_SIGNATURE) throw invalid(`zip member "${entry.name}" has no local header`);
  const dataOffset = entry.localHeaderOffset + LOCAL_HEADER_SIZE + header.u16(26) + header.u16(28);
  if (dataOffset + entry.compressedSize > fileSize) throw invalid(`zip member "${entry.name}" is truncated`);
  if (entry.flags & 0x1) throw invalid(`zip member "${entry.name}" is encrypted`);
  if (entry.method !== ZIP_STORED && entry.method !== ZIP_DEFLATED) {
    throw invalid(`zip member "${entry.name}" uses unsupported compression method ${entry.method}`);
  }
  if (entry.method === ZIP_STORED && entry.compressedSize !== entry.uncompressedSize) {
    throw invalid(`stored zip member "${entry.name}" has inconsistent sizes`);
  }
  return dataOffset;
}

function findEndOfCentralDirectory(tail: Uint8Array): number {
  const data = view(tail);
  for (let at = tail.length - EOCD_SIZE; at >= 0; at -= 1) {
    // The comment length must account exactly for the bytes after the record, or this is a false hit.
    if (data.u32(at) === EOCD_SIGNATURE && at + EOCD_SIZE + data.u16(at + 20) === tail.length) return at;
  }
  return -1;
}

async function readZip64End(handle: FileHandle, eocdOffset: number) {
  const locatorOffset = eocdOffset - ZIP64_LOCATOR_SIZE;
  if (locatorOffset < 0) throw invalid('zip64 archive without a zip64 locator');
  const locator = view(await readExactly(handle, locatorOffset, ZIP64_LOCATOR_SIZE));
  if (locator.u32(0) !== ZIP64_LOCATOR_SIGNATURE) throw invalid('zip64 archive without a zip64 locator');
  const record = view(await readExactly(handle, locator.u64(8), 56));
  if (record.u32(0) !== ZIP64_EOCD_SIGNATURE) throw invalid('corrupt zip64 end-of-central-directory record');
  return { entryCount: record.u64(32), directorySize: record.u64(40), directoryOffset: record.u64(48) };
}

/** The ZIP64 extra field holds, in order, only those of these values whose 32-bit slot is saturated. */
function applyZip64Extra(entry: ZipEntry, extra: ByteView): void {
  const needs = entry.uncompressedSize === U32_SATURATED || entry.compressedSize === U32_SATURATED || entry.localHeaderOffset === U32_SATURATED;
  if (!needs) return;
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.u16(at);
    const size = extra.u16(at + 2);
    if (id === ZIP64_EXTRA_ID) {
      const field = extra.subarray(at + 4, at + 4 + size);
      let cursor = 0;
      const next = (): number => {
        if (cursor + 8 > field.length) throw invalid(`zip member "${entry.name}" has a short zip64 extra field`);
        const value = field.u64(cursor);
        cursor += 8;
        return value;
      };
      if (entry.uncompressedSize === U32_SATURATED) entry.uncompressedSize = next();
      if (entry.compressedSize === U32_SATURATED) entry.compressedSize = next();
      if (entry.localHeaderOffset === U32_SATURATED) entry.localHeaderOffset = next();
      return;
    }
    at += 4 + size;
  }
  throw invalid(`zip member "${entry.name}" needs zip64 sizes but has no zip64 extra field`);
}

async function readExactly(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead !== length) throw invalid('zip archive is truncated');
  return buffer;
}

interface ByteView {
  bytes: Uint8Array;
  length: number;
  u16(at: number): number;
  u32(at: number): number;
  u64(at: number): number;
  subarray(start: number, end?: number): ByteView;
}

function view(bytes: Uint8Array): ByteView {
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    bytes,
    length: bytes.length,
    u16: (at) => data.getUint16(at, true),
    u32: (at) => data.getUint32(at, true),
    u64: (at) => {
      const value = data.getBigUint64(at, true);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('zip64 value exceeds 2^53');
      return Number(value);
    },
    subarray: (start, end) => view(bytes.subarray(start, end)),
  };
}

function invalid(detail: string): CompressError {
  return new CompressError('dataset/invalid', 'npz', detail);
}
