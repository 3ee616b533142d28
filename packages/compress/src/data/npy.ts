import { CompressError } from '../errors.js';

export type NpyDtype = 'float32' | 'float16' | 'int8' | 'uint8' | 'int32' | 'int64' | 'bool' | 'float64';

/** float16 has no JS typed array in Node 20, so its raw bits travel as Uint16Array (as ORT-JS expects). */
export type NpyTypedArray = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array | Float64Array;

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Bytes from the start of the .npy to its first data byte. */
  dataOffset: number;
  itemSize: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const PREAMBLE_V1 = 10;
const PREAMBLE_V2 = 12;

const DTYPES: Readonly<Record<string, { dtype: NpyDtype; itemSize: number }>> = {
  f4: { dtype: 'float32', itemSize: 4 },
  f2: { dtype: 'float16', itemSize: 2 },
  f8: { dtype: 'float64', itemSize: 8 },
  i1: { dtype: 'int8', itemSize: 1 },
  u1: { dtype: 'uint8', itemSize: 1 },
  i4: { dtype: 'int32', itemSize: 4 },
  i8: { dtype: 'int64', itemSize: 8 },
  b1: { dtype: 'bool', itemSize: 1 },
};

export const NPY_DTYPES: readonly NpyDtype[] = Object.values(DTYPES).map((d) => d.dtype);

/**
 * Parses the header at the start of a .npy. Returns how many bytes it needs when `prefix` is too
 * short, so callers can decompress just enough of an entry.
 */
export function parseNpyHeader(prefix: Uint8Array, label: string): NpyHeader | { needBytes: number } {
  if (prefix.length < PREAMBLE_V2) return { needBytes: PREAMBLE_V2 };
  if (!MAGIC.every((byte, i) => prefix[i] === byte)) throw invalid(label, 'not a .npy file (bad magic)');
  const major = prefix[6];
  const data = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let preamble: number;
  let headerLength: number;
  if (major === 1) {
    preamble = PREAMBLE_V1;
    headerLength = data.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    preamble = PREAMBLE_V2;
    headerLength = data.getUint32(8, true);
  } else {
    throw invalid(label, `unsupported .npy format version ${major}`);
  }
  const dataOffset = preamble + headerLength;
  if (prefix.length < dataOffset) return { needBytes: dataOffset };
  // v3 only differs from v2 by allowing UTF-8 in the header (for structured field names).
  const text = Buffer.from(prefix.subarray(preamble, dataOffset)).toString(major === 3 ? 'utf8' : 'latin1');
  return { ...interpretHeader(text, label), dataOffset };
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((acc, dim) => acc * dim, 1);
}

export function allocateTypedArray(dtype: NpyDtype, length: number): NpyTypedArray {
  return typedArrayOver(dtype, new ArrayBuffer(length * itemSizeOf(dtype)));
}

export function typedArrayOver(dtype: NpyDtype, buffer: ArrayBuffer): NpyTypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer);
    case 'float16': return new Uint16Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'int8': return new Int8Array(buffer);
    case 'uint8': return new Uint8Array(buffer);
    case 'bool': return new Uint8Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
  }
}

export function itemSizeOf(dtype: NpyDtype): number {
  return Object.values(DTYPES).find((d) => d.dtype === dtype)!.itemSize;
}

function interpretHeader(text: string, label: string): Omit<NpyHeader, 'dataOffset'> {
  let parsed: PyValue;
  try {
    parsed = parsePythonLiteral(text);
  } catch (err) {
    throw invalid(label, `unreadable .npy header: ${(err as Error).message}`);
  }
  if (!(parsed instanceof Map)) throw invalid(label, '.npy header is not a dict');
  const descr = parsed.get('descr');
  const fortranOrder = parsed.get('fortran_order');
  const shape = parsed.get('shape');
  if (typeof fortranOrder !== 'boolean') throw invalid(label, '.npy header lacks fortran_order');
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw invalid(label, '.npy header has no valid shape tuple');
  }
  if (typeof descr !== 'string') throw invalid(label, `unsupported dtype ${JSON.stringify(describe(descr))} (structured arrays are not supported)`);
  const byteOrder = '<>|='.includes(descr[0] ?? '') ? descr[0] : '';
  const known = DTYPES[byteOrder ? descr.slice(1) : descr];
  if (!known) throw invalid(label, `unsupported dtype "${descr}" (supported: ${NPY_DTYPES.join(', ')})`);
  if (byteOrder === '>' && known.itemSize > 1) throw invalid(label, `big-endian dtype "${descr}" is not supported; save the array as little-endian`);
  // With at most one dim above 1, C and Fortran order lay out the same bytes.
  if (fortranOrder && shape.filter((d) => d > 1).length > 1) {
    throw invalid(label, 'Fortran-ordered arrays are not supported; save with np.ascontiguousarray');
  }
  if (!Number.isSafeInteger(elementCount(shape) * known.itemSize)) throw invalid(label, 'array too large');
  return { dtype: known.dtype, itemSize: known.itemSize, shape };
}

function describe(value: PyValue | undefined): unknown {
  return value instanceof Map ? Object.fromEntries(value) : value;
}

type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

/** Just enough of Python's literal syntax for what `np.lib.format` writes: dict, tuple, list, str, int, bool. */
function parsePythonLiteral(text: string): PyValue {
  let at = 0;
  const skipSpace = (): void => {
    while (at < text.length && /\s/.test(text[at]!)) at += 1;
  };
  const expect = (char: string): void => {
    skipSpace();
    if (text[at] !== char) throw new Error(`expected "${char}" at ${at}`);
    at += 1;
  };
  const sequence = <T>(close: string, item: () => T): T[] => {
    const items: T[] = [];
    for (;;) {
      skipSpace();
      if (text[at] === close) {
        at += 1;
        return items;
      }
      items.push(item());
      skipSpace();
      if (text[at] === ',') at += 1;
      else if (text[at] !== close) throw new Error(`expected "," or "${close}" at ${at}`);
    }
  };
  const value = (): PyValue => {
    skipSpace();
    const char = text[at];
    if (char === '{') {
      at += 1;
      return new Map(sequence('}', () => {
        const key = value();
        if (typeof key !== 'string') throw new Error('dict keys must be strings');
        expect(':');
        return [key, value()] as const;
      }));
    }
    if (char === '(' || char === '[') {
      at += 1;
      return sequence(char === '(' ? ')' : ']', value);
    }
    if (char === "'" || char === '"') {
      const end = text.indexOf(char, at + 1);
      if (end < 0) throw new Error('unterminated string');
      const literal = text.slice(at + 1, end);
      at = end + 1;
      return literal;
    }
    const word = /^(?:True|False|None|-?\d+L?)/.exec(text.slice(at))?.[0];
    if (!word) throw new Error(`unexpected ${char === undefined ? 'end of header' : `"${char}"`} at ${at}`);
    at += word.length;
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    // Python 2 era files wrote long ints with an `L` suffix.
    return Number(word.replace('L', ''));
  };
  const result = value();
  skipSpace();
  if (at !== text.length) throw new Error(`trailing characters at ${at}`);
  return result;
}

function invalid(label: string, detail: string): CompressError {
  return new CompressError('dataset/invalid', 'npz', `${label}: ${detail}`);
}
