import { constants as zlibConstants, crc32, deflateRawSync } from 'node:zlib';

export interface NpyOptions {
  descr: string;
  shape: number[];
  data: Uint8Array;
  fortranOrder?: boolean;
  version?: 1 | 2 | 3;
  /** Replaces the generated header dict text entirely. */
  headerText?: string;
  /** Extra dict entries, written verbatim before the closing brace. */
  extra?: string;
}

/** Writes a .npy exactly as numpy.lib.format does: preamble, padded dict, data. */
export function buildNpy(options: NpyOptions): Uint8Array {
  const version = options.version ?? 1;
  const shapeText = options.shape.length === 1 ? `(${options.shape[0]},)` : `(${options.shape.join(', ')})`;
  const dict =
    options.headerText ??
    `{'descr': '${options.descr}', 'fortran_order': ${options.fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, ${options.extra ?? ''}}`;
  const preamble = version === 1 ? 10 : 12;
  const unpadded = preamble + Buffer.byteLength(dict, version === 3 ? 'utf8' : 'latin1') + 1;
  const padding = (64 - (unpadded % 64)) % 64;
  const header = Buffer.from(`${dict}${' '.repeat(padding)}\n`, version === 3 ? 'utf8' : 'latin1');
  const lengthField = Buffer.alloc(version === 1 ? 2 : 4);
  if (version === 1) lengthField.writeUInt16LE(header.length);
  else lengthField.writeUInt32LE(header.length);
  return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]), lengthField, header, options.data]);
}

export function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export interface ZipMember {
  name: string;
  data: Uint8Array;
  method?: 'stored' | 'deflate';
  /** Already-deflated body for members too big to hold uncompressed (`data` is then ignored). */
  deflated?: { body: Uint8Array; crc: number; size: number };
}

export interface ZipOptions {
  /** Saturate the 32-bit size/offset fields and carry real values in ZIP64 records, as big archives must. */
  zip64?: boolean;
  comment?: string;
}

/** A minimal zip writer, so tests can produce archives NumPy would (and variants it might). */
export function buildZip(members: ZipMember[], options: ZipOptions = {}): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name, 'utf8');
    const method = member.method === 'stored' && !member.deflated ? 0 : 8;
    const body = member.deflated ? Buffer.from(member.deflated.body) : (method === 8 ? deflateRawSync(member.data) : Buffer.from(member.data));
    const crc = member.deflated?.crc ?? crc32(member.data) >>> 0;
    const size = member.deflated?.size ?? member.data.length;
    const sizes64 = Buffer.alloc(20);
    sizes64.writeUInt16LE(0x0001, 0);
    sizes64.writeUInt16LE(16, 2);
    sizes64.writeBigUInt64LE(BigInt(size), 4);
    sizes64.writeBigUInt64LE(BigInt(body.length), 12);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(options.zip64 ? 45 : 20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(options.zip64 ? 0xffffffff : body.length, 18);
    local.writeUInt32LE(options.zip64 ? 0xffffffff : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(options.zip64 ? sizes64.length : 0, 28);
    const localExtra = options.zip64 ? sizes64 : Buffer.alloc(0);
    locals.push(local, name, localExtra, body);

    const centralExtra = Buffer.alloc(options.zip64 ? 28 : 0);
    if (options.zip64) {
      centralExtra.writeUInt16LE(0x0001, 0);
      centralExtra.writeUInt16LE(24, 2);
      centralExtra.writeBigUInt64LE(BigInt(size), 4);
      centralExtra.writeBigUInt64LE(BigInt(body.length), 12);
      centralExtra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(options.zip64 ? 45 : 20, 4);
    central.writeUInt16LE(options.zip64 ? 45 : 20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(options.zip64 ? 0xffffffff : body.length, 20);
    central.writeUInt32LE(options.zip64 ? 0xffffffff : size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(centralExtra.length, 30);
    central.writeUInt32LE(options.zip64 ? 0xffffffff : offset, 42);
    centrals.push(central, name, centralExtra);
    offset += local.length + name.length + localExtra.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const tail: Buffer[] = [];
  if (options.zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(members.length), 24);
    record.writeBigUInt64LE(BigInt(members.length), 32);
    record.writeBigUInt64LE(BigInt(directory.length), 40);
    record.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
    locator.writeUInt32LE(1, 16);
    tail.push(record, locator);
  }
  const comment = Buffer.from(options.comment ?? '', 'utf8');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.zip64 ? 0xffff : members.length, 8);
  end.writeUInt16LE(options.zip64 ? 0xffff : members.length, 10);
  end.writeUInt32LE(options.zip64 ? 0xffffffff : directory.length, 12);
  end.writeUInt32LE(options.zip64 ? 0xffffffff : offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...locals, directory, ...tail, end, comment]);
}

/** Byte-wise equality; much faster than deep-equal on large typed arrays. */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(bytesOf(a)).equals(Buffer.from(bytesOf(b)));
}

/** Deflates `header` followed by `zeroBytes` zeros without ever holding the zeros whole. */
export function deflateHeaderAndZeros(header: Uint8Array, zeroBytes: number): { body: Uint8Array; crc: number; size: number } {
  const chunk = new Uint8Array(1 << 20);
  const parts: Buffer[] = [];
  let crc = crc32(header);
  const stream = deflateRawSync(header, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  parts.push(stream);
  // Each piece is an independent raw-deflate segment ended by a sync flush; only the last is final.
  for (let left = zeroBytes; left > 0; left -= chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, left));
    crc = crc32(piece, crc);
    const last = left <= chunk.length;
    parts.push(deflateRawSync(piece, last ? {} : { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
  }
  return { body: Buffer.concat(parts), crc: crc >>> 0, size: header.length + zeroBytes };
}
