import { beforeAll, describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { inspectModel } from '../inspect/inspect-model.js';
import type { ModelInspection } from '../inspect/types.js';
import type { TensorInfo } from '../ir/tensor-info.js';
import { openNpz, type NpzArrayInfo } from './npz.js';
import { validateDatasetForModel } from './validate-dataset.js';

describe('validateDatasetForModel with the real fixtures', () => {
  const models: Record<keyof typeof MODELS, ModelInspection> = {} as never;
  beforeAll(async () => {
    for (const key of Object.keys(MODELS) as (keyof typeof MODELS)[]) {
      models[key] = await inspectModel(MODELS[key], { computeMacs: false });
    }
  });
  const arraysOf = async (file: string) => (await openNpz(file)).arrays;

  it('accepts the MNIST calibration set for LeNet: 1000 samples with labels', async () => {
    expect(validateDatasetForModel(await arraysOf(NPZ.mnistCalib), models.lenet)).toEqual({
      sampleCount: 1000,
      hasLabels: true,
      arrays: [
        { name: 'input', dtype: 'float32', shape: [1000, 1, 28, 28], role: 'input' },
        { name: 'labels', dtype: 'int64', shape: [1000], role: 'labels' },
      ],
    });
  });

  it('accepts 1000 samples for the LeNet-BN whose batch is fixed at 10', async () => {
    const result = validateDatasetForModel(await arraysOf(NPZ.mnistBnCalib), models.lenetBn);
    expect(result.sampleCount).toBe(1000);
    expect(result.hasLabels).toBe(true);
  });

  it('accepts the natural-image sets for MobileNetV2, with and without labels', async () => {
    expect(validateDatasetForModel(await arraysOf(NPZ.naturalEval), models.mobilenet)).toMatchObject({ sampleCount: 102, hasLabels: true });
    expect(validateDatasetForModel(await arraysOf(NPZ.naturalCalib), models.mobilenet)).toMatchObject({ sampleCount: 100, hasLabels: false });
  });

  it('rejects MNIST data for MobileNetV2, naming the missing input and the stray array', async () => {
    const err = await expectCompressError(async () => validateDatasetForModel(await arraysOf(NPZ.mnistCalib), models.mobilenet), 'dataset/mismatch');
    expect(err.message).toContain('"input_1:0"');
    expect(err.message).toContain('array "input"');
  });

  it('rejects the LeNet set for LeNet-BN, whose input is called input_0', async () => {
    await expectCompressError(async () => validateDatasetForModel(await arraysOf(NPZ.mnistCalib), models.lenetBn), 'dataset/mismatch');
  });
});

describe('validateDatasetForModel rules', () => {
  const lenet: { inputs: TensorInfo[] } = { inputs: [{ name: 'input', elemType: 'float32', shape: ['batch_size', 1, 28, 28] }] };
  const array = (name: string, shape: number[], dtype: NpzArrayInfo['dtype'] = 'float32'): NpzArrayInfo => ({ name, dtype, shape });
  const labels = (n: number, dtype: NpzArrayInfo['dtype'] = 'int64') => array('labels', [n], dtype);
  const mismatch = (arrays: NpzArrayInfo[], model: { inputs: TensorInfo[] } = lenet) =>
    expectCompressError(() => validateDatasetForModel(arrays, model), 'dataset/mismatch');

  it('names the input and both shapes on a rank mismatch', async () => {
    const err = await mismatch([array('input', [1000, 28, 28])]);
    expect(err.message).toContain('input "input": expected dims [*,1,28,28], got [1000,28,28]');
  });

  it('rejects a wrong dtype', async () => {
    await mismatch([array('input', [5, 1, 28, 28], 'float64')]);
  });

  it('rejects a wrong fixed dim past axis 0', async () => {
    await mismatch([array('input', [5, 3, 28, 28])]);
  });

  it('accepts any sample count on axis 0, even against a fixed batch', () => {
    const fixed = { inputs: [{ name: 'x', elemType: 'float32', shape: [10, 4] }] };
    expect(validateDatasetForModel([array('x', [7, 4])], fixed).sampleCount).toBe(7);
  });

  it('accepts anything at symbolic or unknown dims, but one name must mean one size', async () => {
    const model = {
      inputs: [
        { name: 'ids', elemType: 'int64', shape: ['n', 'seq'] },
        { name: 'mask', elemType: 'int64', shape: ['n', 'seq'] },
        { name: 'extra', elemType: 'float32', shape: [null, null, 3] },
      ],
    };
    const ok = [array('ids', [4, 17], 'int64'), array('mask', [4, 17], 'int64'), array('extra', [4, 99, 3])];
    expect(validateDatasetForModel(ok, model).sampleCount).toBe(4);
    await mismatch([array('ids', [4, 17], 'int64'), array('mask', [4, 18], 'int64'), array('extra', [4, 99, 3])], model);
  });

  it('accepts any rank ≥ 1 for an input of unknown rank, but not a scalar input', async () => {
    expect(validateDatasetForModel([array('x', [3, 2, 2])], { inputs: [{ name: 'x', elemType: 'float32', shape: null }] }).sampleCount).toBe(3);
    await mismatch([array('x', [3])], { inputs: [{ name: 'x', elemType: 'float32', shape: [] }] });
  });

  it('requires all arrays to agree on the sample count', async () => {
    await mismatch([array('input', [5, 1, 28, 28]), labels(4)]);
    const two = { inputs: [{ name: 'a', elemType: 'float32', shape: ['n', 2] }, { name: 'b', elemType: 'float32', shape: ['n', 2] }] };
    await mismatch([array('a', [5, 2]), array('b', [6, 2])], two);
  });

  it('accepts int32 labels and rejects float or 2-D labels', async () => {
    expect(validateDatasetForModel([array('input', [5, 1, 28, 28]), labels(5, 'int32')], lenet).hasLabels).toBe(true);
    await mismatch([array('input', [5, 1, 28, 28]), labels(5, 'float32')]);
    await mismatch([array('input', [5, 1, 28, 28]), array('labels', [5, 1], 'int64')]);
  });

  it('rejects arrays that feed nothing', async () => {
    const err = await mismatch([array('input', [5, 1, 28, 28]), array('weights', [5])]);
    expect(err.message).toContain('"weights"');
  });

  it('treats an array called labels as an input when the model has an input of that name', () => {
    const model = { inputs: [{ name: 'labels', elemType: 'int64', shape: ['n'] }] };
    expect(validateDatasetForModel([labels(3)], model)).toMatchObject({ hasLabels: false, arrays: [{ name: 'labels', role: 'input' }] });
  });

  it('rejects an empty dataset and a dataset with no arrays', async () => {
    await mismatch([array('input', [0, 1, 28, 28])]);
    await mismatch([]);
  });
});
