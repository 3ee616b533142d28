import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { buildNpy } from '../../test/npz-builder.js';
import { parseNpyHeader, type NpyHeader } from './npy.js';

const parse = (bytes: Uint8Array): NpyHeader => {
  const result = parseNpyHeader(bytes, 'test');
  if ('needBytes' in result) throw new Error(`incomplete header, needs ${result.needBytes}`);
  return result;
};
const empty = new Uint8Array();

describe('parseNpyHeader', () => {
  const dtypes: [string, string, number][] = [
    ['<f4', 'float32', 4], ['<f2', 'float16', 2], ['<f8', 'float64', 8], ['|i1', 'int8', 1],
    ['|u1', 'uint8', 1], ['<i4', 'int32', 4], ['<i8', 'int64', 8], ['|b1', 'bool', 1],
  ];
  for (const [descr, dtype, itemSize] of dtypes) {
    it(`reads descr ${descr} as ${dtype}`, () => {
      expect(parse(buildNpy({ descr, shape: [2, 3], data: empty }))).toMatchObject({ dtype, itemSize, shape: [2, 3] });
    });
  }

  it('reads 0-d and 1-d shapes: () and (5,)', () => {
    expect(parse(buildNpy({ descr: '<f4', shape: [], data: empty })).shape).toEqual([]);
    expect(parse(buildNpy({ descr: '<f4', shape: [5], data: empty })).shape).toEqual([5]);
  });

  it('reads format versions 1, 2 and 3, and points at the first data byte', () => {
    for (const version of [1, 2, 3] as const) {
      const bytes = buildNpy({ descr: '<i4', shape: [1], version, data: new Uint8Array([7, 0, 0, 0]) });
      const header = parse(bytes);
      expect(header.dataOffset).toBe(bytes.length - 4);
      expect(header.dataOffset % 64).toBe(0);
    }
  });

  it('tolerates key order, double quotes, Python 2 long suffixes and extra keys', () => {
    const headerText = `{"shape": (3L, 4L), "fortran_order": False, "descr": "<f4", "note": [1, (2,)]}`;
    expect(parse(buildNpy({ descr: '', shape: [], headerText, data: empty }))).toMatchObject({ dtype: 'float32', shape: [3, 4] });
  });

  it('asks for more bytes until the whole header is there', () => {
    const bytes = buildNpy({ descr: '<f4', shape: [2], data: empty });
    expect(parseNpyHeader(bytes.subarray(0, 5), 'test')).toEqual({ needBytes: 12 });
    expect(parseNpyHeader(bytes.subarray(0, 40), 'test')).toEqual({ needBytes: bytes.length });
  });

  it('accepts fortran_order=True where the layout is the same as C order', () => {
    expect(parse(buildNpy({ descr: '<f4', shape: [1, 6, 1], fortranOrder: true, data: empty })).shape).toEqual([1, 6, 1]);
  });

  const rejected: [string, () => Uint8Array][] = [
    ['big-endian data', () => buildNpy({ descr: '>f4', shape: [2], data: empty })],
    ['Fortran-ordered matrices', () => buildNpy({ descr: '<f4', shape: [2, 3], fortranOrder: true, data: empty })],
    ['unsupported dtypes (int16)', () => buildNpy({ descr: '<i2', shape: [2], data: empty })],
    ['unicode string arrays', () => buildNpy({ descr: '<U5', shape: [2], data: empty })],
    ['structured dtypes', () => buildNpy({ descr: '', shape: [], headerText: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", data: empty })],
    ['a header that is not a dict', () => buildNpy({ descr: '', shape: [], headerText: "('<f4', False)", data: empty })],
    ['a header missing its shape', () => buildNpy({ descr: '', shape: [], headerText: "{'descr': '<f4', 'fortran_order': False}", data: empty })],
    ['negative dims', () => buildNpy({ descr: '', shape: [], headerText: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", data: empty })],
    ['unparseable header text', () => buildNpy({ descr: '', shape: [], headerText: "{'descr': '<f4', 'shape': (1,", data: empty })],
    ['a wrong magic string', () => Buffer.concat([Buffer.from('NOTNPY'), buildNpy({ descr: '<f4', shape: [1], data: empty }).subarray(6)])],
  ];
  for (const [label, bytes] of rejected) {
    it(`rejects ${label} as dataset/invalid`, async () => {
      await expectCompressError(() => parseNpyHeader(bytes(), 'test'), 'dataset/invalid');
    });
  }

  it('rejects an unknown format version', async () => {
    const bytes = Buffer.from(buildNpy({ descr: '<f4', shape: [1], data: empty }));
    bytes[6] = 9;
    await expectCompressError(() => parseNpyHeader(bytes, 'test'), 'dataset/invalid');
  });
});
