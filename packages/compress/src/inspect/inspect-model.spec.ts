import path from 'node:path';
import { afterEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { MODELS, readFixture } from '../../test/fixtures.js';
import { buildModel, DataType, node, valueInfo } from '../../test/onnx-builder.js';
import { referenceMacs } from '../../test/reference-macs.js';
import { useTempDir } from '../../test/temp-dir.js';
import { loadModelProto } from '../ir/model-proto.js';
import { int64ToNumber, type onnx } from '../ir/onnx.js';
import { inspectModel } from './inspect-model.js';
import { ort } from './runtime.js';

const elementsOf = (t: onnx.ITensorProto) => (t.dims ?? []).map(int64ToNumber).reduce((a, b) => a * b, 1);
const attrInts = (n: onnx.INodeProto, name: string) => n.attribute!.find((a) => a.name === name)!.ints!.map(int64ToNumber);

describe('inspectModel on mnist-lenet5', () => {
  it('reports the exported metadata, I/O and op histogram', async () => {
    const report = await inspectModel(MODELS.lenet);
    expect(report).toMatchObject({
      irVersion: 5,
      opsets: [{ domain: '', version: 10 }],
      producer: { name: 'pytorch', version: '2.0.0' },
      inputs: [{ name: 'input', elemType: 'float32', shape: ['batch_size', 1, 28, 28] }],
      outputs: [{ name: 'output', elemType: 'float32', shape: ['batch_size', 10] }],
      nodeCount: 12,
      runtime: { loaded: true, version: ort.env.versions.node },
    });
    expect(report.opHistogram).toEqual({ Conv: 2, Relu: 4, MaxPool: 2, Flatten: 1, Gemm: 3 });
  });

  it('counts 61,706 parameters, matching a direct sum over the initializers', async () => {
    const report = await inspectModel(MODELS.lenet);
    const initializers = loadModelProto(readFixture(MODELS.lenet)).graph!.initializer!;
    expect(report.parameterCount).toBe(initializers.reduce((acc, t) => acc + elementsOf(t), 0));
    expect(report.parameterCount).toBe(61706);
    expect(report.initializerBytes).toBe(61706 * 4);
  });

  it('counts MACs that match a hand computation from weight dims and conv attributes', async () => {
    const graph = loadModelProto(readFixture(MODELS.lenet)).graph!;
    const dims = (name: string) => graph.initializer!.find((t) => t.name === name)!.dims!.map(int64ToNumber);
    const [conv1, conv2] = graph.node!.filter((n) => n.opType === 'Conv') as [onnx.INodeProto, onnx.INodeProto];
    const [w1, w2] = [dims(conv1.input![1]!), dims(conv2.input![1]!)] as [number[], number[]];
    // 28x28 input; conv out = (in + 2·pad − k)/stride + 1; each 2x2/2 max-pool halves it.
    const out1 = (28 + 2 * attrInts(conv1, 'pads')[0]! - w1[2]!) / attrInts(conv1, 'strides')[0]! + 1;
    const out2 = (out1 / 2 + 2 * attrInts(conv2, 'pads')[0]! - w2[2]!) / attrInts(conv2, 'strides')[0]! + 1;
    expect([out1, out2]).toEqual([28, 10]);
    const convMacs = w1[0]! * out1 * out1 * w1[1]! * w1[2]! * w1[3]! + w2[0]! * out2 * out2 * w2[1]! * w2[2]! * w2[3]!;
    // Gemm weights are [out, in] (transB = 1): one MAC per weight at batch 1.
    const gemmMacs = graph.node!.filter((n) => n.opType === 'Gemm').reduce((acc, n) => acc + dims(n.input![1]!).reduce((a, b) => a * b, 1), 0);
    expect(convMacs).toBe(6 * 28 * 28 * 25 + 16 * 10 * 10 * 150);
    expect(gemmMacs).toBe(400 * 120 + 120 * 84 + 84 * 10);

    const report = await inspectModel(MODELS.lenet);
    expect(report.macsByOp).toEqual({ Conv: convMacs, Gemm: gemmMacs });
    expect(report.macs).toBe(416_520);
    expect(report.macsNote).toContain('input=[1,1,28,28]');
  });

  it('gives the same answer for the bytes as for the path, as plain JSON', async () => {
    const bytes = readFixture(MODELS.lenet);
    const before = Buffer.from(bytes);
    const fromBytes = await inspectModel(bytes);
    expect(fromBytes).toEqual(await inspectModel(MODELS.lenet));
    expect(JSON.parse(JSON.stringify(fromBytes))).toEqual(fromBytes);
    expect(Buffer.from(bytes).equals(before)).toBe(true);
  });
});

describe('inspectModel on mnist-lenet5-bn', () => {
  it('keeps the fixed batch of 10 and counts MACs for that whole batch', async () => {
    const report = await inspectModel(MODELS.lenetBn);
    expect(report.irVersion).toBe(4);
    expect(report.opsets).toEqual([{ domain: '', version: 9 }]);
    expect(report.inputs).toEqual([{ name: 'input_0', elemType: 'float32', shape: [10, 1, 28, 28] }]);
    expect(report.outputs).toEqual([{ name: 'output_0', elemType: 'float32', shape: [10, 10] }]);
    expect(report.opHistogram).toMatchObject({ Conv: 2, Gemm: 3, BatchNormalization: 1, Constant: 1, Softmax: 1 });
    const reference = referenceMacs(loadModelProto(readFixture(MODELS.lenetBn)), { input_0: [10, 1, 28, 28] });
    expect(report.macsByOp).toEqual(reference.byOp);
    expect(report.macs).toBe(10 * 416_520);
  });

  it('counts every initializer, the int64 batch counter included, and not the int64 Constant', async () => {
    const graph = loadModelProto(readFixture(MODELS.lenetBn)).graph!;
    const report = await inspectModel(MODELS.lenetBn);
    expect(report.parameterCount).toBe(graph.initializer!.reduce((acc, t) => acc + elementsOf(t), 0));
    // LeNet's 61,706 + BatchNorm1d(120): weight, bias, running mean/var (480) + num_batches_tracked (1).
    expect(report.parameterCount).toBe(61706 + 4 * 120 + 1);
  });
});

describe('inspectModel on person-mobilenetv2', () => {
  it('reports 52 Conv nodes, the punctuated input name and 182,286 parameters', async () => {
    const report = await inspectModel(MODELS.mobilenet);
    expect(report.inputs).toEqual([{ name: 'input_1:0', elemType: 'float32', shape: ['unk__150', 3, 128, 128] }]);
    expect(report.outputs).toEqual([{ name: 'Identity:0', elemType: 'float32', shape: ['unk__151', 2] }]);
    expect(report.irVersion).toBe(7);
    expect(report.opsets).toEqual([{ domain: '', version: 15 }, { domain: 'ai.onnx.ml', version: 2 }]);
    expect(report.opHistogram).toEqual({ Conv: 52, Clip: 35, BatchNormalization: 7, Pad: 4, Add: 11, AveragePool: 1, Reshape: 1, MatMul: 1, Softmax: 1 });
    expect(report.nodeCount).toBe(113);
    // The README's 182,286 counts all initializers: 182,276 float weights + 10 int64 (pads, reshape target).
    const initializers = loadModelProto(readFixture(MODELS.mobilenet)).graph!.initializer!;
    const floats = initializers.filter((t) => t.dataType === DataType.FLOAT).reduce((acc, t) => acc + elementsOf(t), 0);
    expect(floats).toBe(182_276);
    expect(report.parameterCount).toBe(182_286);
  });

  it('counts MACs equal to an independent shape walk of the graph', async () => {
    const report = await inspectModel(MODELS.mobilenet);
    const reference = referenceMacs(loadModelProto(readFixture(MODELS.mobilenet)), { 'input_1:0': [1, 3, 128, 128] });
    expect(report.macsByOp).toEqual(reference.byOp);
    expect(report.macs).toBe(reference.total);
    expect(report.macs).toBe(18_153_504);
    expect(report.macsNote).toContain('input_1:0=[1,3,128,128]');
  });
});

describe('inspectModel failures', () => {
  afterEach(() => vi.restoreAllMocks());

  const tiny = (nodes: onnx.INodeProto[]) =>
    buildModel({
      nodes,
      inputs: [valueInfo('x', DataType.FLOAT, [1, 4])],
      outputs: [valueInfo('y', DataType.FLOAT, [1, 4])],
    });

  it('rejects an op onnxruntime does not know with model/runtime_rejected, carrying ORT’s message', async () => {
    const err = await expectCompressError(() => inspectModel(tiny([node('NotARealOp', ['x'], ['y'])])), 'model/runtime_rejected');
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.message).toContain((err.cause as Error).message);
  });

  it('rejects a node that reads an undefined tensor', async () => {
    await expectCompressError(() => inspectModel(tiny([node('Add', ['x', 'nowhere'], ['y'])])), 'model/runtime_rejected');
  });

  it('rejects non-ONNX input before involving the runtime', async () => {
    const create = vi.spyOn(ort.InferenceSession, 'create');
    await expectCompressError(() => inspectModel(Buffer.from('{"not":"onnx"}')), 'model/not_onnx');
    await expectCompressError(() => inspectModel(new Uint8Array()), 'model/not_onnx');
    await expectCompressError(() => inspectModel(readFixture(MODELS.lenet).subarray(0, 100_000)), 'model/not_onnx');
    expect(create).not.toHaveBeenCalled();
  });

  const emptyDir = useTempDir('missing');
  it('reports a missing file as io/read_failed', async () => {
    await expectCompressError(() => inspectModel(path.join(emptyDir, 'nope.onnx')), 'io/read_failed');
  });

  it('releases every session it opens, including after a failed probe', async () => {
    const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (...args: unknown[]) => Promise<ort.InferenceSession>;
    const releases: MockInstance[] = [];
    vi.spyOn(ort.InferenceSession, 'create').mockImplementation((async (...args: unknown[]) => {
      const session = await create(...args);
      releases.push(vi.spyOn(session, 'release'));
      return session;
    }) as typeof ort.InferenceSession.create);
    await inspectModel(MODELS.lenet);
    expect(releases).toHaveLength(2);
    for (const release of releases) expect(release).toHaveBeenCalledTimes(1);

    // An all-zero 3-element "shape" copies input dims 0..2 and [2,2] has no dim 2: Reshape fails at run time.
    const failingProbe = buildModel({
      nodes: [node('Reshape', ['x', 'shape'], ['r']), node('MatMul', ['r', 'x'], ['y'])],
      inputs: [valueInfo('x', DataType.FLOAT, [2, 2]), valueInfo('shape', DataType.INT64, [3])],
      outputs: [valueInfo('y', DataType.FLOAT, null)],
    });
    const report = await inspectModel(failingProbe);
    expect(report.macs).toBeNull();
    expect(report.macsNote).toMatch(/^shape probe failed/);
    expect(releases).toHaveLength(4);
    for (const release of releases) expect(release).toHaveBeenCalledTimes(1);
  });
});
