import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { MODELS, readFixture } from '../../test/fixtures.js';
import { buildModelProto } from '../../test/onnx-builder.js';
import { cloneModelProto, encodeModelProto, loadModelProto } from './model-proto.js';
import { int64ToNumber, onnx } from './onnx.js';

describe('loadModelProto', () => {
  it('decodes a real exported model', () => {
    const model = loadModelProto(readFixture(MODELS.lenet));
    expect(int64ToNumber(model.irVersion)).toBe(5);
    expect(model.graph?.node).toHaveLength(12);
  });

  it('round-trips through encodeModelProto without losing a field', () => {
    // Byte equality is not expected: exporters also write empty default fields, protobufjs omits them.
    const asObject = (bytes: Uint8Array) => onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: String, bytes: String });
    const original = readFixture(MODELS.mobilenet);
    const reencoded = encodeModelProto(loadModelProto(original));
    expect(asObject(reencoded)).toEqual(asObject(original));
  });

  it('clones deeply, so edits to the copy leave the source alone', () => {
    const model = loadModelProto(readFixture(MODELS.lenet));
    const copy = cloneModelProto(model);
    copy.graph!.output!.push({ name: 'extra' });
    copy.graph!.node![0]!.input![0] = 'renamed';
    expect(model.graph!.output).toHaveLength(1);
    expect(model.graph!.node![0]!.input![0]).toBe('input');
  });

  const garbage: [string, () => Uint8Array][] = [
    ['an empty buffer', () => new Uint8Array()],
    ['random bytes', () => randomBytes(4096)],
    ['a JSON document', () => Buffer.from(JSON.stringify({ irVersion: 7, graph: { node: [] } }))],
    ['the first half of a real model', () => readFixture(MODELS.lenet).subarray(0, readFixture(MODELS.lenet).length >> 1)],
    ['a model cut one byte short', () => readFixture(MODELS.mobilenet).subarray(0, readFixture(MODELS.mobilenet).length - 1)],
  ];
  for (const [label, bytes] of garbage) {
    it(`rejects ${label} as model/not_onnx`, async () => {
      await expectCompressError(() => loadModelProto(bytes()), 'model/not_onnx');
    });
  }

  it('rejects 64 KiB of random bytes every time (many seeds)', async () => {
    for (let i = 0; i < 50; i += 1) await expectCompressError(() => loadModelProto(randomBytes(65536)), 'model/not_onnx');
  });

  it('rejects a well-formed ModelProto that lacks a graph or opsets', async () => {
    await expectCompressError(() => loadModelProto(onnx.ModelProto.encode({ irVersion: 7 }).finish()), 'model/not_onnx');
    const noOpset = buildModelProto({ nodes: [], inputs: [], outputs: [{ name: 'y' }] });
    noOpset.opsetImport = [];
    await expectCompressError(() => loadModelProto(encodeModelProto(noOpset)), 'model/not_onnx');
    const noIr = buildModelProto({ nodes: [], inputs: [], outputs: [{ name: 'y' }], irVersion: 0 });
    await expectCompressError(() => loadModelProto(encodeModelProto(noIr)), 'model/not_onnx');
  });

  it('says where the error comes from and keeps the decoder error as cause', async () => {
    const err = await expectCompressError(() => loadModelProto(readFixture(MODELS.lenet).subarray(0, 1000)), 'model/not_onnx');
    expect(err.name).toBe('CompressError');
    expect(err.message.startsWith('compress/load: ')).toBe(true);
    expect(err.cause).toBeInstanceOf(Error);
  });
});
