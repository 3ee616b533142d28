import { describe, expect, it } from 'vitest';
import { ort } from '../inspect/runtime.js';
import { graphProblems } from '../ir/graph.js';
import { encodeModelProto } from '../ir/model-proto.js';
import { readModelFile } from '../ir/model-file.js';
import { pruneChannels } from '../passes/prune/index.js';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { npzRows, runModel } from '../../test/pass-run.js';
import { openNpz } from '../data/npz.js';
import { adamLearningRate, buildTrainingGraph, logitsModel } from './training-graph.js';

describe('buildTrainingGraph', () => {
  it.each([
    ['sgd', 0.02],
    ['adam', 0.002],
  ] as const)('compiles a distillation step (%s) whose loss falls over 20 steps on LeNet-5', async (optimizer, lr) => {
    const teacher = await readModelFile(MODELS.lenet);
    const student = (await pruneChannels(teacher, { ratio: 0.5, ops: ['Conv', 'Gemm'] })).model;
    const x = await npzRows(NPZ.mnistCalib, 'input', 64);
    const labels = (await (await openNpz(NPZ.mnistCalib)).readArray('labels')).data as BigInt64Array;
    const teacherLogits = (await runModel(logitsModel(teacher).model, { input: x })).output!;

    const tg = await buildTrainingGraph(student, { temperature: 4, alpha: 0.7, momentum: 0.9, weightDecay: 5e-4, optimizer, labels: true }, { input: x });
    expect(graphProblems(tg.model.graph!)).toEqual([]);
    expect(tg.params.map((p) => p.name).sort()).toEqual(['net.0.bias', 'net.0.weight', 'net.11.bias', 'net.11.weight', 'net.3.bias', 'net.3.weight', 'net.7.bias', 'net.7.weight', 'net.9.bias', 'net.9.weight']);
    expect(tg.classes).toBe(10);
    expect(tg.params.every((p) => (p.secondMomentInput !== undefined) === (optimizer === 'adam'))).toBe(true);

    const session = await ort.InferenceSession.create(encodeModelProto(tg.model), { logSeverityLevel: 3 });
    let state = tg.initialState();
    const losses: number[] = [];
    for (let step = 0; step < 20; step++) {
      const out = await session.run({
        ...state,
        input: x,
        [tg.inputs.teacherLogits]: teacherLogits,
        [tg.inputs.labels!]: new ort.Tensor('int64', labels.slice(0, 64), [64]),
        [tg.inputs.learningRate]: new ort.Tensor('float32', Float32Array.of(optimizer === 'adam' ? adamLearningRate(lr, 0.9, step + 1) : lr), []),
      });
      losses.push((out[tg.outputs.loss]!.data as Float32Array)[0]!);
      state = Object.fromEntries(
        tg.params.flatMap((p) => [
          [p.name, out[p.updatedOutput]!],
          [p.momentumInput, out[p.updatedMomentumOutput]!],
          ...(p.secondMomentInput ? [[p.secondMomentInput, out[p.updatedSecondMomentOutput!]!] as const] : []),
        ]),
      );
    }
    await session.release();
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[19]!).toBeLessThan(losses[0]! * 0.5);
  });
});
