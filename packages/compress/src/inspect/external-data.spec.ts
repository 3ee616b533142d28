import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { MODELS, readFixture } from '../../test/fixtures.js';
import { useTempDir } from '../../test/temp-dir.js';
import { hasExternalData } from '../ir/external-data.js';
import { encodeModelProto, loadModelProto } from '../ir/model-proto.js';
import { onnx } from '../ir/onnx.js';
import { inspectModel } from './inspect-model.js';

/** Re-saves LeNet the way `onnx.save(..., save_as_external_data=True)` does: weights in a side file. */
function saveWithExternalData(dir: string, location = 'weights.bin'): string {
  const model = loadModelProto(readFixture(MODELS.lenet));
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of model.graph!.initializer!) {
    const raw = tensor.rawData ?? new Uint8Array();
    chunks.push(raw);
    tensor.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.rawData = new Uint8Array();
    offset += raw.length;
  }
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(chunks));
  const file = path.join(dir, 'model.onnx');
  writeFileSync(file, encodeModelProto(model));
  return file;
}

describe('models with external data', () => {
  const dir = useTempDir('external');
  const file = saveWithExternalData(dir);
  const escapingDir = useTempDir('external-escaping');
  const missingDir = useTempDir('external-missing');

  it('produces a model that really keeps its weights outside', () => {
    expect(hasExternalData(loadModelProto(readFileSync(file)))).toBe(true);
    expect(readFileSync(file).length).toBeLessThan(10_000);
  });

  it('inspects by path, resolving weights next to the model', async () => {
    const reference = await inspectModel(MODELS.lenet);
    const report = await inspectModel(file);
    expect(report.parameterCount).toBe(reference.parameterCount);
    expect(report.initializerBytes).toBe(reference.initializerBytes);
    expect(report.macs).toBe(reference.macs);
  });

  it('refuses bare bytes without a base directory, and accepts them with one', async () => {
    const bytes = readFileSync(file);
    await expectCompressError(() => inspectModel(bytes), 'model/external_data_unsupported');
    expect((await inspectModel(bytes, { baseDir: dir })).macs).toBe(416_520);
  });

  it('reports a missing or escaping data file as model/external_data_invalid', async () => {
    const escaping = saveWithExternalData(escapingDir, '../weights.bin');
    await expectCompressError(() => inspectModel(escaping), 'model/external_data_invalid');
    const missing = saveWithExternalData(missingDir, 'absent.bin');
    await expectCompressError(() => inspectModel(missing), 'model/external_data_invalid');
  });
});
