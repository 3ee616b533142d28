import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { buildNpy, buildZip, bytesOf, deflateHeaderAndZeros, type ZipMember, type ZipOptions } from '../../test/npz-builder.js';
import { useTempDir } from '../../test/temp-dir.js';
import { openNpz, type NpzBatch, type NpzFile } from './npz.js';

const dir = useTempDir('npz');
let counter = 0;
function writeNpz(members: ZipMember[], options?: ZipOptions): string {
  const file = path.join(dir, `case-${(counter += 1)}.npz`);
  writeFileSync(file, buildZip(members, options));
  return file;
}

const images = Float32Array.from({ length: 7 * 2 * 3 }, (_, i) => i / 8 - 2);
const labels = BigInt64Array.from([3n, -1n, 9n, 0n, 2n ** 40n, 5n, 6n]);
const imagesNpy = buildNpy({ descr: '<f4', shape: [7, 2, 3], data: bytesOf(images) });
const labelsNpy = buildNpy({ descr: '<i8', shape: [7], data: bytesOf(labels) });

async function collect(npz: NpzFile, name: string, batchSize: number): Promise<NpzBatch[]> {
  const batches: NpzBatch[] = [];
  for await (const batch of npz.batches(name, batchSize)) batches.push(batch);
  return batches;
}

describe('openNpz on archives built like numpy.savez / savez_compressed', () => {
  const variants: [string, ZipMember['method'], ZipOptions][] = [
    ['deflated (savez_compressed)', 'deflate', {}],
    ['stored (savez)', 'stored', {}],
    ['deflated, with ZIP64 records and a trailing comment', 'deflate', { zip64: true, comment: 'PK\x05\x06 lookalike' }],
    ['stored, with ZIP64 records', 'stored', { zip64: true }],
  ];
  for (const [label, method, options] of variants) {
    it(`${label}: lists and reads arrays exactly`, async () => {
      const npz = await openNpz(writeNpz([{ name: 'input_1:0.npy', data: imagesNpy, method }, { name: 'labels.npy', data: labelsNpy, method }], options));
      expect(npz.arrays).toEqual([
        { name: 'input_1:0', dtype: 'float32', shape: [7, 2, 3] },
        { name: 'labels', dtype: 'int64', shape: [7] },
      ]);
      const read = await npz.readArray('input_1:0');
      expect(read.shape).toEqual([7, 2, 3]);
      expect(read.data).toEqual(images);
      expect((await npz.readArray('labels')).data).toEqual(labels);
    });
  }

  it('reads every supported dtype with its natural typed array', async () => {
    const cases = [
      { descr: '|i1', values: Int8Array.from([-128, 0, 127]) },
      { descr: '|u1', values: Uint8Array.from([0, 128, 255]) },
      { descr: '|b1', values: Uint8Array.from([1, 0, 1]) },
      { descr: '<i4', values: Int32Array.from([-(2 ** 31), 0, 2 ** 31 - 1]) },
      { descr: '<f8', values: Float64Array.from([Math.PI, -0, 1e300]) },
      { descr: '<f2', values: Uint16Array.from([0x3c00, 0xc000, 0x7bff]) }, // 1, -2, 65504 as float16 bits
    ];
    const npz = await openNpz(writeNpz(cases.map((c, i) => ({ name: `a${i}.npy`, data: buildNpy({ descr: c.descr, shape: [3], data: bytesOf(c.values) }) }))));
    for (const [i, c] of cases.entries()) {
      const { data } = await npz.readArray(`a${i}`);
      expect(data.constructor).toBe(c.values.constructor);
      expect(Array.from(data as ArrayLike<number>)).toEqual(Array.from(c.values));
    }
  });

  it('reads 0-d and empty arrays', async () => {
    const npz = await openNpz(
      writeNpz([
        { name: 'scalar.npy', data: buildNpy({ descr: '<f8', shape: [], data: bytesOf(Float64Array.of(2.5)) }) },
        { name: 'none.npy', data: buildNpy({ descr: '<f4', shape: [0, 3], data: new Uint8Array() }) },
      ]),
    );
    expect((await npz.readArray('scalar')).data).toEqual(Float64Array.of(2.5));
    expect((await npz.readArray('none')).data).toHaveLength(0);
    expect(await collect(npz, 'none', 4)).toEqual([]);
    await expectCompressError(() => collect(npz, 'scalar', 1), 'dataset/invalid');
  });

  it('finds a header longer than the first compressed bytes it probes', async () => {
    // 6 KB of hex in an extra header key compresses to ~3 KB, past the first 1 KB read.
    const extra = `'note': '${randomBytes(3000).toString('hex')}', `;
    const npy = buildNpy({ descr: '<f4', shape: [7, 2, 3], data: bytesOf(images), extra, version: 2 });
    const npz = await openNpz(writeNpz([{ name: 'x.npy', data: npy }]));
    expect(npz.arrays).toEqual([{ name: 'x', dtype: 'float32', shape: [7, 2, 3] }]);
    expect((await npz.readArray('x')).data).toEqual(images);
  });
});

describe('NpzFile.batches', () => {
  it('slices along axis 0, with a short last batch, matching readArray', async () => {
    const npz = await openNpz(writeNpz([{ name: 'x.npy', data: imagesNpy }]));
    const batches = await collect(npz, 'x', 3);
    expect(batches.map((b) => [b.start, b.count])).toEqual([[0, 3], [3, 3], [6, 1]]);
    expect(batches.map((b) => b.shape)).toEqual([[3, 2, 3], [3, 2, 3], [1, 2, 3]]);
    expect(batches[2]!.data).toEqual(images.subarray(36));
    const joined = new Float32Array(batches.flatMap((b) => Array.from(b.data as Float32Array)));
    expect(joined).toEqual((await npz.readArray('x')).data);
  });

  it('hands out independent buffers, so a kept batch is not overwritten by the next', async () => {
    const npz = await openNpz(writeNpz([{ name: 'x.npy', data: imagesNpy }]));
    const batches = await collect(npz, 'x', 1);
    expect(new Set(batches.map((b) => b.data.buffer)).size).toBe(7);
    expect(batches[0]!.data).toEqual(images.subarray(0, 6));
  });

  it('can stop early', async () => {
    const npz = await openNpz(writeNpz([{ name: 'x.npy', data: imagesNpy }]));
    for await (const batch of npz.batches('x', 2)) {
      expect(batch.start).toBe(0);
      break;
    }
    expect((await collect(npz, 'x', 100)).map((b) => b.count)).toEqual([7]);
  });

  it('keeps memory near one batch while streaming a 400 MB array', async () => {
    const rows = 100_000;
    const rowFloats = 1000;
    const header = buildNpy({ descr: '<f4', shape: [rows, rowFloats], data: new Uint8Array() });
    const deflated = deflateHeaderAndZeros(header, rows * rowFloats * 4);
    const npz = await openNpz(writeNpz([{ name: 'big.npy', data: new Uint8Array(), deflated }]));
    expect(npz.arrays).toEqual([{ name: 'big', dtype: 'float32', shape: [rows, rowFloats] }]);

    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let samples = 0;
    for await (const batch of npz.batches('big', 256)) {
      samples += batch.count;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
    }
    expect(samples).toBe(rows);
    // Holding the array would take 400 MB; batches are 1 MB and garbage is collected as we go.
    expect(peak).toBeLessThan(120 * 1024 * 1024);
  });

  it('rejects a batch size that is not a positive integer', async () => {
    const npz = await openNpz(writeNpz([{ name: 'x.npy', data: imagesNpy }]));
    await expect(collect(npz, 'x', 0)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('openNpz rejects broken input as dataset/invalid', () => {
  const cases: [string, () => string][] = [
    ['random bytes', () => writeRaw(randomBytes(5000))],
    ['an empty file', () => writeRaw(new Uint8Array())],
    ['a truncated archive', () => writeRaw(buildZip([{ name: 'x.npy', data: imagesNpy }]).subarray(0, 150))],
    ['a member that is not .npy', () => writeNpz([{ name: 'x.npy', data: imagesNpy }, { name: 'README.txt', data: Buffer.from('hi') }])],
    ['a .npy whose header disagrees with its size', () => writeNpz([{ name: 'x.npy', data: imagesNpy.subarray(0, imagesNpy.length - 4) }])],
    ['a member that is not a .npy inside', () => writeNpz([{ name: 'x.npy', data: Buffer.from('just text, long enough to hold a header') }])],
    ['an unsupported dtype', () => writeNpz([{ name: 'x.npy', data: buildNpy({ descr: '<c8', shape: [1], data: new Uint8Array(8) }) }])],
    ['a big-endian array', () => writeNpz([{ name: 'x.npy', data: buildNpy({ descr: '>i4', shape: [1], data: new Uint8Array(4) }) }])],
    ['a duplicate array name', () => writeNpz([{ name: 'x.npy', data: imagesNpy }, { name: 'x.npy', data: imagesNpy }])],
    ['an unsupported compression method', () => writeRaw(withMethod(buildZip([{ name: 'x.npy', data: imagesNpy, method: 'stored' }]), 12))],
  ];
  for (const [label, file] of cases) {
    it(label, async () => {
      await expectCompressError(() => openNpz(file()), 'dataset/invalid');
    });
  }

  it('a missing file is io/read_failed', async () => {
    await expectCompressError(() => openNpz(path.join(dir, 'absent.npz')), 'io/read_failed');
  });

  it('an unknown array name is dataset/mismatch', async () => {
    const npz = await openNpz(writeNpz([{ name: 'x.npy', data: imagesNpy }]));
    await expectCompressError(() => npz.readArray('y'), 'dataset/mismatch');
  });

  it('corrupted member bytes fail the CRC check when read', async () => {
    const zip = Buffer.from(buildZip([{ name: 'x.npy', data: imagesNpy, method: 'stored' }]));
    const dataStart = 30 + 'x.npy'.length;
    zip[dataStart + imagesNpy.length - 1]! ^= 0xff;
    const npz = await openNpz(writeRaw(zip));
    await expectCompressError(() => npz.readArray('x'), 'dataset/invalid');
    await expectCompressError(() => collect(npz, 'x', 2), 'dataset/invalid');
  });

  it('corrupted deflate data past the header fails when read, not when listed', async () => {
    const noise = buildNpy({ descr: '|u1', shape: [20_000], data: randomBytes(20_000) });
    const zip = Buffer.from(buildZip([{ name: 'x.npy', data: noise }]));
    const dataStart = 30 + 'x.npy'.length;
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.fill(0xff, dataStart + 5000, central - 100);
    const npz = await openNpz(writeRaw(zip));
    expect(npz.arrays).toEqual([{ name: 'x', dtype: 'uint8', shape: [20_000] }]);
    await expectCompressError(() => npz.readArray('x'), 'dataset/invalid');
    await expectCompressError(() => collect(npz, 'x', 1000), 'dataset/invalid');
  });
});

function writeRaw(bytes: Uint8Array): string {
  const file = path.join(dir, `raw-${(counter += 1)}.npz`);
  writeFileSync(file, bytes);
  return file;
}

/** Patches the compression method in both the local and the central header. */
function withMethod(zip: Uint8Array, method: number): Uint8Array {
  const out = Buffer.from(zip);
  out.writeUInt16LE(method, 8);
  out.writeUInt16LE(method, out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 10);
  return out;
}
