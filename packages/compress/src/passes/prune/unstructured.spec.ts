import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../../test/expect-error.js';
import { buildModelProto, DataType, floatTensor, intAttr, node, valueInfo } from '../../../test/onnx-builder.js';
import { expectPassInvariants } from '../../../test/pass-invariants.js';
import { randomFloats, runModel, seeded } from '../../../test/pass-run.js';
import { ort } from '../../inspect/runtime.js';
import type { onnx } from '../../ir/onnx.js';
import { makeTensor, readFloat32 } from '../../ir/tensor-data.js';
import { pruneUnstructured } from './index.js';

const random = seeded(3);
const weights = (name: string, dims: number[]) => {
  const values = randomFloats(dims.reduce((a, b) => a * b, 1), random);
  return floatTensor(name, dims, (i) => values[i]!);
};
const values = (model: onnx.IModelProto, name: string) => readFloat32(model.graph!.initializer!.find((t) => t.name === name)!);
const zeros = (xs: Float32Array) => xs.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

/** x → Conv(W 3×2×3×3 = 54) → Flatten → MatMul(W 27×7 = 189) → Gemm(W 4×7 = 28, transB) → y */
function smallNet(overrides: { conv?: onnx.ITensorProto } = {}): onnx.ModelProto {
  return buildModelProto({
    opset: 13,
    inputs: [valueInfo('x', DataType.FLOAT, ['n', 2, 5, 5])],
    outputs: [valueInfo('y', DataType.FLOAT, ['n', 4])],
    initializers: [overrides.conv ?? weights('wc', [3, 2, 3, 3]), weights('bc', [3]), weights('wm', [27, 7]), weights('wg', [4, 7]), weights('bg', [4])],
    nodes: [
      node('Conv', ['x', 'wc', 'bc'], ['c']),
      node('Flatten', ['c'], ['f']),
      node('MatMul', ['f', 'wm'], ['m']),
      node('Gemm', ['m', 'wg', 'bg'], ['y'], [intAttr('transB', 1)]),
    ],
  });
}

describe(pruneUnstructured.name, () => {
  it('per-layer: every weight tensor reaches the sparsity exactly, zeroing its smallest magnitudes; biases untouched', async () => {
    const model = smallNet();
    const sut = await expectPassInvariants(model, (m) => pruneUnstructured(m, { sparsity: 0.3, scope: 'per-layer' }));
    for (const [name, count] of [['wc', 54], ['wm', 189], ['wg', 28]] as const) {
      const before = values(model, name);
      const after = values(sut.model, name);
      expect(zeros(after)).toBe(Math.round(0.3 * count));
      const dropped = before.filter((_, i) => after[i] === 0).map(Math.abs);
      const kept = before.filter((_, i) => after[i] !== 0).map(Math.abs);
      expect(Math.max(...dropped)).toBeLessThanOrEqual(Math.min(...kept));
      expect(after.every((v, i) => v === 0 || v === before[i])).toBe(true);
    }
    expect(values(sut.model, 'bc')).toEqual(values(model, 'bc'));
    expect((sut.report.details['layers'] as { sparsity: number }[]).map((l) => l.sparsity)).toEqual([16 / 54, 57 / 189, 8 / 28]);
    const x = { x: new ort.Tensor('float32', randomFloats(50, random), [1, 2, 5, 5]) };
    expect((await runModel(sut.model, x))['y']!.dims).toEqual([1, 4]);
  });

  it('global: one threshold across layers, total sparsity exact', async () => {
    const model = smallNet();
    const sut = await expectPassInvariants(model, (m) => pruneUnstructured(m, { sparsity: 0.3, scope: 'global' }));
    const before = ['wc', 'wm', 'wg'].flatMap((n) => [...values(model, n)]);
    const after = ['wc', 'wm', 'wg'].flatMap((n) => [...values(sut.model, n)]);
    expect(after.filter((v) => v === 0)).toHaveLength(Math.round(0.3 * 271));
    const dropped = before.filter((_, i) => after[i] === 0).map(Math.abs);
    const kept = before.filter((_, i) => after[i] !== 0).map(Math.abs);
    expect(Math.max(...dropped)).toBeLessThanOrEqual(Math.min(...kept));
    expect(sut.report.details['sparsity']).toBe(81 / 271);
    const byDefault = await expectPassInvariants(model, (m) => pruneUnstructured(m, { sparsity: 0.3 }));
    expect(byDefault.report.details['scope']).toBe('global');
  });

  it('is exact with ties and counts zeros that were already there', async () => {
    const ties = floatTensor('wc', [3, 2, 3, 3], (i) => (i % 2 ? 1 : -1));
    const tied = await expectPassInvariants(smallNet({ conv: ties }), (m) => pruneUnstructured(m, { sparsity: 0.5, scope: 'per-layer', ops: ['Conv'] }));
    expect(zeros(values(tied.model, 'wc'))).toBe(27);
    const sparse = makeTensor('wc', DataType.FLOAT, [3, 2, 3, 3], Float32Array.from({ length: 54 }, (_, i) => (i < 20 ? 0 : i)));
    const already = await expectPassInvariants(smallNet({ conv: sparse }), (m) => pruneUnstructured(m, { sparsity: 0.1, scope: 'per-layer', ops: ['Conv'] }));
    expect(zeros(values(already.model, 'wc'))).toBe(20);
    expect(already.report.changed).toBe(0);
    const more = await expectPassInvariants(smallNet({ conv: sparse }), (m) => pruneUnstructured(m, { sparsity: 0.5, scope: 'per-layer', ops: ['Conv'] }));
    expect([...values(more.model, 'wc')].findIndex((v) => v !== 0)).toBe(27);
  });

  it('honours ops and exclude, and leaves weights that other nodes also read', async () => {
    const model = smallNet();
    const onlyMatMul = await expectPassInvariants(model, (m) => pruneUnstructured(m, { sparsity: 0.5, scope: 'per-layer', ops: ['MatMul', 'Gemm'], exclude: ['wg'] }));
    expect((onlyMatMul.report.details['layers'] as { weight: string }[]).map((l) => l.weight)).toEqual(['wm']);
    expect(onlyMatMul.report.skipped).toEqual([{ node: 'Gemm_y', reason: 'excluded by options' }]);
    expect(values(onlyMatMul.model, 'wc')).toEqual(values(model, 'wc'));

    const shared = smallNet();
    shared.graph!.node!.push(node('ReduceSum', ['wm'], ['s']));
    shared.graph!.output!.push(valueInfo('s', DataType.FLOAT, null));
    const sut = await expectPassInvariants(shared, (m) => pruneUnstructured(m, { sparsity: 0.5, scope: 'global' }));
    expect(sut.report.skipped).toContainEqual({ node: 'MatMul_m', reason: 'weight "wm" is also read elsewhere' });
    expect(values(sut.model, 'wm')).toEqual(values(shared, 'wm'));
  });

  it('rejects bad options and refuses models without prunable weights', async () => {
    const model = smallNet();
    for (const sparsity of [1, -0.1, Number.NaN, '0.5', undefined]) {
      await expectCompressError(() => pruneUnstructured(model, { sparsity: sparsity as number, scope: 'global' }), 'pass/invalid_options');
    }
    await expectCompressError(() => pruneUnstructured(model, { sparsity: 0.5, scope: 'local' as never }), 'pass/invalid_options');
    await expectCompressError(() => pruneUnstructured(model, { sparsity: 0.5, scope: 'global', ops: [] }), 'pass/invalid_options');
    const relu = buildModelProto({ inputs: [valueInfo('x', DataType.FLOAT, [2])], outputs: [valueInfo('y', DataType.FLOAT, [2])], nodes: [node('Relu', ['x'], ['y'])] });
    await expectCompressError(() => pruneUnstructured(relu, { sparsity: 0.5, scope: 'global' }), 'pass/refused');
    const half = smallNet();
    half.graph!.initializer = half.graph!.initializer!.map((t) => (t.name === 'wc' ? makeTensor('wc', DataType.FLOAT16, [3, 2, 3, 3], new Uint16Array(54)) : t));
    const err = await expectCompressError(() => pruneUnstructured(half, { sparsity: 0.5, scope: 'global', ops: ['Conv'] }), 'pass/refused');
    expect(err.message).toMatch(/not float32/);
  });
});
