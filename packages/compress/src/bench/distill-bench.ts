#!/usr/bin/env node
/**
 * `npm run bench:distill`: knowledge distillation on the shared fixtures — teacher vs student accuracy and
 * agreement, MACs, bytes, latency and training time for LeNet-5 (the pruned teacher and the built-in students)
 * and MobileNetV2 (50% of the filters). Latency figures need a quiet machine: run nothing else meanwhile.
 *
 * LeNet-5 students train on mnist-calib-1k + mnist-eval-9k[0, 7000) and are scored on mnist-eval-9k[7000, 9000),
 * which no student sees. MobileNetV2 students train on natural128-calib-100 (no labels: the teacher only) and are
 * scored by top-1 agreement with the teacher on natural128-eval-102, which they never see either.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable } from '../cli/table.js';
import { openNpz } from '../data/npz.js';
import { measureLatency } from '../eval/latency.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { ort, withSession } from '../inspect/runtime.js';
import { readModelFile } from '../ir/model-file.js';
import { encodeModelProto } from '../ir/model-proto.js';
import type { onnx } from '../ir/onnx.js';
import { distill, type DataSlice, type DistillOptions } from '../train/distill.js';
import { pruneChannels } from '../passes/prune/index.js';
import { buildStudent, type StudentSpec } from '../train/students.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = process.env.EDGEFLEET_FIXTURES ?? path.resolve(here, '../../../../../shared/fixtures');
const fx = (p: string) => path.join(FIXTURES, p);
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(2)}%`);

const rows: (string | number)[][] = [];
const targets: (string | number)[][] = [];

interface Scores {
  accuracy: number | null;
  agreement: number;
}

/** Logits (or probabilities) of `model` on samples [start, start + count) of one .npz array, in one batch. */
async function outputsOn(model: Uint8Array, file: string, input: string, start: number, count: number): Promise<Float32Array> {
  const x = await (await openNpz(file)).readArray(input);
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  return withSession(model, async (session) => {
    const feed = new ort.Tensor('float32', (x.data as Float32Array).slice(start * per, (start + count) * per), [count, ...x.shape.slice(1)]);
    return Float32Array.from((await session.run({ [input]: feed }))[session.outputNames[0]!]!.data as Float32Array);
  });
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
  return best;
}

/** Top-1 accuracy (labels ≥ 0 only; null when none) and top-1 agreement with the teacher's outputs. */
function score(student: Float32Array, teacher: Float32Array, classes: number, labels: BigInt64Array | null): Scores {
  const n = student.length / classes;
  let agree = 0;
  let correct = 0;
  let labelled = 0;
  for (let i = 0; i < n; i++) {
    const s = argmax(student.subarray(i * classes, (i + 1) * classes));
    if (s === argmax(teacher.subarray(i * classes, (i + 1) * classes))) agree++;
    if (labels && labels[i]! >= 0n) {
      labelled++;
      if (BigInt(s) === labels[i]) correct++;
    }
  }
  return { accuracy: labelled > 0 ? correct / labelled : null, agreement: agree / n };
}

interface Case {
  readonly label: string;
  readonly student: StudentSpec;
  readonly options: Omit<DistillOptions, 'student' | 'data'>;
}

interface Measured {
  label: string;
  scores: Scores;
  before: Scores;
  macs: number;
  bytes: number;
  latencyMs: number;
  trainSeconds: number;
  samplesPerSec: number;
  epochs: string;
}

async function runCases(
  model: string,
  teacher: onnx.ModelProto,
  data: readonly DataSlice[],
  evaluation: { file: string; input: string; start: number; count: number; labels: BigInt64Array | null },
  cases: readonly Case[],
): Promise<{ teacher: Measured; students: Measured[] }> {
  const teacherBytes = encodeModelProto(teacher);
  const inspection = await inspectModel(teacherBytes);
  const latency = async (bytes: Uint8Array) => (await measureLatency(bytes, inspection.inputs, { threads: 1, runs: 200, warmup: 20 })).median;
  const on = (bytes: Uint8Array) => outputsOn(bytes, evaluation.file, evaluation.input, evaluation.start, evaluation.count);
  const teacherOut = await on(teacherBytes);
  const classes = teacherOut.length / evaluation.count;
  const measured = (label: string, bytes: Uint8Array, out: Float32Array, extra: Omit<Measured, 'label' | 'scores' | 'bytes' | 'macs' | 'latencyMs'>, macs: number, latencyMs: number): Measured => ({
    label,
    scores: score(out, teacherOut, classes, evaluation.labels),
    bytes: bytes.length,
    macs,
    latencyMs,
    ...extra,
  });
  const self = score(teacherOut, teacherOut, classes, evaluation.labels);
  const teacherRow = measured('teacher', teacherBytes, teacherOut, { before: self, trainSeconds: 0, samplesPerSec: 0, epochs: '–' }, inspection.macs!, await latency(teacherBytes));
  const students: Measured[] = [];
  for (const c of cases) {
    log(`${model}: distilling ${c.label} …`);
    const started = performance.now();
    const start = c.student.name === 'pruned' ? await pruneChannels(teacher, { ratio: c.student.ratio ?? 0.5, ops: ['Conv', 'Gemm'] }) : await buildStudent(teacher, c.student.name, { width: c.student.width });
    const result = await distill(teacher, { ...c.options, student: start.model, data });
    const trainSeconds = (performance.now() - started) / 1000;
    const bytes = encodeModelProto(result.model);
    const d = result.report.details as { epochs: number; bestEpoch: number; samplesPerSec: number };
    // The untrained student (pruned, or freshly initialised) on the same samples: what distillation recovered.
    const before = score(await on(encodeModelProto(start.model)), teacherOut, classes, evaluation.labels);
    students.push(
      measured(c.label, bytes, await on(bytes), { before, trainSeconds, samplesPerSec: d.samplesPerSec, epochs: `${d.epochs} (kept ${d.bestEpoch})` }, (await inspectModel(bytes)).macs!, await latency(bytes)),
    );
  }
  for (const m of [teacherRow, ...students]) {
    rows.push([
      model,
      m.label,
      m.label === 'teacher' ? '–' : `${pct(m.before.accuracy)} / ${pct(m.before.agreement)}`,
      pct(m.scores.accuracy),
      pct(m.scores.agreement),
      m.macs,
      `${m.macs === teacherRow.macs ? '' : `−${(100 * (1 - m.macs / teacherRow.macs)).toFixed(1)}%`}`,
      m.bytes,
      `${(m.bytes / teacherRow.bytes).toFixed(3)}×`,
      m.latencyMs.toFixed(3),
      m.label === 'teacher' ? '–' : m.trainSeconds.toFixed(1),
      m.label === 'teacher' ? '–' : Math.round(m.samplesPerSec),
      m.epochs,
    ]);
  }
  return { teacher: teacherRow, students };
}

async function lenet(): Promise<void> {
  const teacher = await readModelFile(fx('models/mnist-lenet5/model.onnx'));
  const evalSet = fx('npz/mnist-eval-9k.npz');
  const labels = ((await (await openNpz(evalSet)).readArray('labels')).data as BigInt64Array).slice(7000, 9000);
  const common = { heldOut: { fraction: 0.1 }, epochs: 10, temperature: 4, alpha: 0.7, earlyStopping: { patience: 3 } } as const;
  const { teacher: t, students } = await runCases(
    'mnist-lenet5',
    teacher,
    [{ path: fx('npz/mnist-calib-1k.npz') }, { path: evalSet, count: 7000 }],
    { file: evalSet, input: 'input', start: 7000, count: 2000, labels },
    [
      { label: 'pruned 50%', student: { name: 'pruned', ratio: 0.5 }, options: { ...common, learningRate: { kind: 'cosine', initial: 0.01 } } },
      // Built-in students start from random weights: more epochs, a higher learning rate.
      { label: 'mlp', student: { name: 'mlp' }, options: { ...common, epochs: 20, learningRate: { kind: 'cosine', initial: 0.05 } } },
      { label: 'cnn-small', student: { name: 'cnn-small' }, options: { ...common, epochs: 20, learningRate: { kind: 'cosine', initial: 0.05 } } },
      { label: 'dwcnn', student: { name: 'dwcnn' }, options: { ...common, epochs: 20, learningRate: { kind: 'cosine', initial: 0.05 } } },
    ],
  );
  for (const s of students) {
    const drop = (t.scores.accuracy! - s.scores.accuracy!) * 100;
    const cut = 1 - s.macs / t.macs;
    targets.push([
      `lenet5 ${s.label} student: within 1.0 pt of the teacher, ≥ 40% fewer MACs${s.label.startsWith('pruned') ? '' : ' (the pruned target, for comparison)'}`,
      `${pct(s.scores.accuracy)} vs ${pct(t.scores.accuracy)} (${drop >= 0 ? '−' : '+'}${Math.abs(drop).toFixed(2)} pt), −${(cut * 100).toFixed(1)}% MACs`,
      drop <= 1 && cut >= 0.4 ? 'PASS' : 'MISS',
    ]);
    if (s.label === 'pruned 50%') targets.push(['lenet5 pruned 50% distillation job < 2 min', `${s.trainSeconds.toFixed(1)} s, ${Math.round(s.samplesPerSec)} samples/s`, s.trainSeconds < 120 ? 'PASS' : 'MISS']);
  }
}

async function mobilenet(): Promise<void> {
  const teacher = await readModelFile(fx('models/person-mobilenetv2/model.onnx'));
  const evalSet = fx('npz/natural128-eval-102.npz');
  const labels = (await (await openNpz(evalSet)).readArray('labels')).data as BigInt64Array;
  // 90 training images, 10 held out. A learning rate of 0.01 wrecks this body (BatchNorm folded into most convolutions):
  // even with the teacher's own features and a zeroed classifier it falls to a constant prediction, where 0.001 learns.
  const common = { heldOut: { fraction: 0.1 }, epochs: 20, batchSize: 16, temperature: 4, earlyStopping: { patience: 8 }, augment: { hflip: true, shift: 8 } } as const;
  await runCases(
    'person-mobilenetv2',
    teacher,
    [{ path: fx('npz/natural128-calib-100.npz') }],
    { file: evalSet, input: 'input_1:0', start: 0, count: 102, labels },
    [
      { label: 'pruned 50%', student: { name: 'pruned', ratio: 0.5 }, options: { ...common, learningRate: { kind: 'cosine', initial: 0.001 } } },
      { label: 'dwcnn', student: { name: 'dwcnn' }, options: { ...common, learningRate: { kind: 'cosine', initial: 0.01 } } },
    ],
  );
}

async function run(): Promise<void> {
  if (!existsSync(FIXTURES)) {
    log(`fixtures not found at ${FIXTURES} (set EDGEFLEET_FIXTURES)`);
    process.exit(2);
  }
  await lenet();
  await mobilenet();
  process.stdout.write(
    `\n${renderTable(['teacher', 'model', 'untrained top-1 / agr.', 'top-1', 'agreement', 'MACs', 'MACs cut', 'bytes', 'size', 'latency ms', 'train s', 'samples/s', 'epochs'], rows)}\n`,
  );
  process.stdout.write(
    [
      'top-1: accuracy on labelled samples the students never saw (mnist-eval-9k[7000, 9000); natural128-eval-102 has 2 labelled images).',
      'agreement: same top-1 class as the teacher on those samples (all 102 natural images). untrained: the student before distillation',
      '(pruned, or freshly initialised) on the same samples. latency: median of 200 runs, batch 1, 1 thread.',
      'train s: the whole distill() call (teacher outputs, training-graph compile, epochs, held-out scoring).',
    ].join('\n') + '\n',
  );
  process.stdout.write(`\n${renderTable(['target', 'measured', 'result'], targets)}\n`);
}

run().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
