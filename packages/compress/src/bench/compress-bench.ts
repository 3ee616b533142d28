#!/usr/bin/env node
/**
 * `npm run bench:compress`: the compression engine's targets, measured on the shared fixtures and
 * printed as a table. Latency figures need a quiet machine: run nothing else meanwhile.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../eval/evaluate.js';
import { measureLatency } from '../eval/latency.js';
import type { Evaluation } from '../eval/types.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { readModelFile } from '../ir/model-file.js';
import { encodeModelProto } from '../ir/model-proto.js';
import type { onnx } from '../ir/onnx.js';
import { toFloat16 } from '../passes/fp16.js';
import { pruneChannels } from '../passes/prune/index.js';
import { measureCalibrationMemory, quantizeDynamic, quantizeStatic } from '../passes/quantize/index.js';
import type { QuantizeReportDetails } from '../passes/quantize/types.js';
import { compressForProfiles } from '../profiles/compress-for-profile.js';
import { BUILTIN_PROFILES } from '../profiles/hardware-profile.js';
import { renderTable } from '../cli/table.js';
import { openNpz } from '../data/npz.js';
import { ort, withSession } from '../inspect/runtime.js';
import { distill } from '../train/distill.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = process.env.EDGEFLEET_FIXTURES ?? path.resolve(here, '../../../../../shared/fixtures');
const fx = (p: string) => path.join(FIXTURES, p);

const rows: (string | number)[][] = [];
const check = (target: string, measured: string, ok: boolean) => rows.push([target, measured, ok ? 'PASS' : 'MISS']);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** Alternating rounds of A and B so drift and background load hit both alike; medians of round medians. */
async function speedup(reference: Uint8Array, candidate: Uint8Array, inputs: Parameters<typeof measureLatency>[1], threads: number, rounds = 7) {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push((await measureLatency(reference, inputs, { threads, runs: 40, warmup: 10 })).median);
    b.push((await measureLatency(candidate, inputs, { threads, runs: 40, warmup: 10 })).median);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return { fp32Ms: median(a), candidateMs: median(b), speedup: median(a) / median(b) };
}

async function lenet() {
  log('mnist-lenet5 …');
  const file = fx('models/mnist-lenet5/model.onnx');
  const model = await readModelFile(file);
  const original = encodeModelProto(model);
  const evalSet = fx('npz/mnist-eval-9k.npz');
  const base = await evaluate(original, { dataset: evalSet, latency: { runs: 5 } });
  const variant = async (name: string, m: onnx.ModelProto) => {
    const bytes = encodeModelProto(m);
    const e = await evaluate(bytes, { dataset: evalSet, reference: original, latency: { runs: 5 } });
    return { name, ratio: bytes.length / original.length, drop: (base.accuracy!.top1 - e.accuracy!.top1) * 100, e };
  };
  const s = await variant('int8 static', (await quantizeStatic(model, { calibration: fx('npz/mnist-calib-1k.npz'), auto: false })).model);
  check('lenet5 int8 static ≤ 0.27× bytes, drop ≤ 0.3 pt', `${s.ratio.toFixed(3)}×, drop ${s.drop.toFixed(2)} pt (${pct(s.e.accuracy!.top1)} vs ${pct(base.accuracy!.top1)})`, s.ratio <= 0.27 && s.drop <= 0.3);
  const h = await variant('fp16', (await toFloat16(model)).model);
  check('lenet5 fp16 ≤ 0.52× bytes, drop ≤ 0.1 pt', `${h.ratio.toFixed(3)}×, drop ${h.drop.toFixed(2)} pt`, h.ratio <= 0.52 && h.drop <= 0.1);
  const d = await variant('int8 dynamic', (await quantizeDynamic(model)).model);
  check('lenet5 int8 dynamic ≤ 0.30× bytes, drop ≤ 0.5 pt', `${d.ratio.toFixed(3)}×, drop ${d.drop.toFixed(2)} pt`, d.ratio <= 0.3 && d.drop <= 0.5);

  const pruned = await pruneChannels(model, { ratio: 0.25, ops: ['Conv'] });
  const prunedBytes = encodeModelProto(pruned.model);
  const macsBefore = (await inspectModel(original)).macs!;
  const macsAfter = (await inspectModel(prunedBytes)).macs!;
  const p = await evaluate(prunedBytes, { dataset: evalSet, latency: { runs: 5 } });
  const cut = 1 - macsAfter / macsBefore;
  check(
    'lenet5 prune 25% conv filters: ≥ 20% fewer MACs (report accuracy)',
    `${macsBefore} → ${macsAfter} MACs (−${pct(cut)}), accuracy ${pct(p.accuracy!.top1)} (−${((base.accuracy!.top1 - p.accuracy!.top1) * 100).toFixed(2)} pt, no fine-tuning)`,
    cut >= 0.2,
  );

  const mem1k = await measureCalibrationMemory(model, fx('npz/mnist-calib-1k.npz'), { method: 'entropy' });
  const mem9k = await measureCalibrationMemory(model, fx('npz/mnist-eval-9k.npz'), { method: 'entropy' });
  const mb = (x: number) => `${(x / 1024 / 1024).toFixed(1)} MB`;
  check(
    'calibration memory does not grow with samples (entropy)',
    `peak RSS growth ${mb(mem1k.peakRssGrowthBytes)} @ ${mem1k.samples} vs ${mb(mem9k.peakRssGrowthBytes)} @ ${mem9k.samples}`,
    mem9k.peakRssGrowthBytes <= mem1k.peakRssGrowthBytes * 1.3 + 16 * 1024 * 1024,
  );
}

async function mobilenet() {
  log('person-mobilenetv2 …');
  const file = fx('models/person-mobilenetv2/model.onnx');
  const model = await readModelFile(file);
  const original = encodeModelProto(model);
  const inspection = await inspectModel(original);
  const started = performance.now();
  const q = await quantizeStatic(model, { calibration: fx('npz/natural128-calib-100.npz'), auto: { threads: 1 } });
  const quantizeSeconds = (performance.now() - started) / 1000;
  const bytes = encodeModelProto(q.model);
  const e: Evaluation = await evaluate(bytes, { dataset: fx('npz/natural128-eval-102.npz'), reference: original, latency: { runs: 5 } });
  const details = q.report.details as unknown as QuantizeReportDetails;
  log(`  kept in float: ${details.floatLayers.join(', ') || 'none'} (quantized in ${quantizeSeconds.toFixed(1)} s)`);
  const t1 = await speedup(original, bytes, inspection.inputs, 1);
  const t2 = await speedup(original, bytes, inspection.inputs, 2);
  const ratio = bytes.length / original.length;
  check(
    'mobilenetv2 int8 static: agreement ≥ 98%, ≤ 0.30× bytes',
    `agreement ${pct(e.fidelity!.top1Agreement)} (cosine ${e.fidelity!.meanCosine.toFixed(4)}), ${ratio.toFixed(3)}×; float layers: ${details.floatLayers.length}`,
    e.fidelity!.top1Agreement >= 0.98 && ratio <= 0.3,
  );
  check('mobilenetv2 int8 static ≥ 1.2× faster, batch 1, 1 thread', `${t1.fp32Ms.toFixed(3)} → ${t1.candidateMs.toFixed(3)} ms = ${t1.speedup.toFixed(2)}×`, t1.speedup >= 1.2);
  rows.push(['mobilenetv2 int8 static, 2 threads (report)', `${t2.fp32Ms.toFixed(3)} → ${t2.candidateMs.toFixed(3)} ms = ${t2.speedup.toFixed(2)}×`, '–']);

  log('auto, three built-in profiles …');
  const autoStarted = performance.now();
  const results = await compressForProfiles(file, BUILTIN_PROFILES, {
    calibration: fx('npz/natural128-calib-100.npz'),
    evaluation: fx('npz/natural128-eval-102.npz'),
  });
  const autoSeconds = (performance.now() - autoStarted) / 1000;
  const summary = results.map((r) => `${r.profile.id}: ${r.recommended ?? 'none'}`).join('; ');
  check('mobilenetv2 auto for 3 profiles < 60 s', `${autoSeconds.toFixed(1)} s (${summary})`, autoSeconds < 60);
}

/** Top-1 accuracy on samples [start, start + count) of a labelled .npz (one batch). */
async function accuracyOn(model: Uint8Array, file: string, start: number, count: number): Promise<number> {
  const npz = await openNpz(file);
  const x = await npz.readArray('input');
  const labels = (await npz.readArray('labels')).data as BigInt64Array;
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  return withSession(model, async (session) => {
    const input = new ort.Tensor('float32', (x.data as Float32Array).slice(start * per, (start + count) * per), [count, ...x.shape.slice(1)]);
    const logits = (await session.run({ input }))[session.outputNames[0]!]!.data as Float32Array;
    const classes = logits.length / count;
    let correct = 0;
    for (let i = 0; i < count; i++) {
      const row = logits.subarray(i * classes, (i + 1) * classes);
      if (BigInt(row.indexOf(Math.max(...row))) === labels[start + i]) correct++;
    }
    return correct / count;
  });
}

/** Prune 50% of every prunable layer's filters of LeNet-5, distill from the original, then int8 static. */
async function distillation() {
  log('mnist-lenet5 distillation …');
  const teacher = await readModelFile(fx('models/mnist-lenet5/model.onnx'));
  const teacherBytes = encodeModelProto(teacher);
  const evalSet = fx('npz/mnist-eval-9k.npz');
  // Trained on mnist-calib-1k + eval-9k[0, 7000); evaluated on eval-9k[7000, 9000), never seen.
  const unseen = (m: Uint8Array) => accuracyOn(m, evalSet, 7000, 2000);
  const teacherAcc = await unseen(teacherBytes);
  const started = performance.now();
  const pruned = await pruneChannels(teacher, { ratio: 0.5, ops: ['Conv', 'Gemm'] });
  const prunedAcc = await unseen(encodeModelProto(pruned.model));
  const result = await distill(teacher, {
    student: pruned.model,
    data: [{ path: fx('npz/mnist-calib-1k.npz') }, { path: evalSet, count: 7000 }],
    heldOut: { fraction: 0.1 },
    epochs: 10,
    temperature: 4,
    alpha: 0.7,
    learningRate: { kind: 'cosine', initial: 0.01 },
    earlyStopping: { patience: 3 },
  });
  const jobSeconds = (performance.now() - started) / 1000;
  const distilledBytes = encodeModelProto(result.model);
  const distilledAcc = await unseen(distilledBytes);
  const [macsBefore, macsAfter] = [(await inspectModel(teacherBytes)).macs!, (await inspectModel(distilledBytes)).macs!];
  const cut = 1 - macsAfter / macsBefore;
  const pt = (a: number) => ((teacherAcc - a) * 100).toFixed(2);
  const d = result.report.details as { epochs: number; bestEpoch: number; samplesPerSec: number; trainSamples: number; heldOutSamples: number };
  check(
    'lenet5 prune 50% filters + distill: within 1.0 pt of teacher, ≥ 40% fewer MACs',
    `teacher ${pct(teacherAcc)}; pruned ${pct(prunedAcc)} (−${pt(prunedAcc)} pt) → distilled ${pct(distilledAcc)} (−${pt(distilledAcc)} pt); ${macsBefore} → ${macsAfter} MACs (−${pct(cut)})`,
    teacherAcc - distilledAcc <= 0.01 && cut >= 0.4,
  );
  const q = await quantizeStatic(result.model, { calibration: fx('npz/mnist-calib-1k.npz'), auto: false });
  const qBytes = encodeModelProto(q.model);
  const qAcc = await unseen(qBytes);
  const ratio = qBytes.length / teacherBytes.length;
  check('lenet5 pruned + distilled + int8 static: within 1.5 pt, ≤ 0.15× bytes', `${pct(qAcc)} (−${pt(qAcc)} pt), ${ratio.toFixed(3)}× (${qBytes.length} of ${teacherBytes.length} B)`, teacherAcc - qAcc <= 0.015 && ratio <= 0.15);
  check(
    'lenet5 distillation job (prune + distill) < 2 min',
    `${jobSeconds.toFixed(1)} s; ${Math.round(d.samplesPerSec)} samples/s; ${d.epochs} epochs (kept ${d.bestEpoch}) on ${d.trainSamples} + ${d.heldOutSamples} held out`,
    jobSeconds < 120,
  );
}

/** MobileNetV2 to 50% width, distilled on natural128-calib-100 (unlabelled: teacher only); reported, no target. */
async function mobilenetDistillation() {
  log('person-mobilenetv2 distillation …');
  const teacher = await readModelFile(fx('models/person-mobilenetv2/model.onnx'));
  const teacherBytes = encodeModelProto(teacher);
  const evalSet = fx('npz/natural128-eval-102.npz');
  const started = performance.now();
  const pruned = await pruneChannels(teacher, { ratio: 0.5, ops: ['Conv', 'Gemm'] });
  const before = await evaluate(encodeModelProto(pruned.model), { dataset: evalSet, reference: teacherBytes, latency: { runs: 2 } });
  const result = await distill(teacher, { student: pruned.model, data: fx('npz/natural128-calib-100.npz'), heldOut: { fraction: 0.1 }, epochs: 10, batchSize: 16, earlyStopping: { patience: 3 } });
  const seconds = (performance.now() - started) / 1000;
  const after = await evaluate(encodeModelProto(result.model), { dataset: evalSet, reference: teacherBytes, latency: { runs: 2 } });
  const d = result.report.details as { epochs: number; bestEpoch: number; samplesPerSec: number };
  rows.push([
    'mobilenetv2 50% filters + distill on calib-100, agreement on eval-102 (report)',
    `${pct(before.fidelity!.top1Agreement)} pruned → ${pct(after.fidelity!.top1Agreement)} distilled; ${d.epochs} epochs (kept ${d.bestEpoch}), ${Math.round(d.samplesPerSec)} samples/s, ${seconds.toFixed(1)} s`,
    '–',
  ]);
}

async function run() {
  if (!existsSync(FIXTURES)) {
    log(`fixtures not found at ${FIXTURES} (set EDGEFLEET_FIXTURES)`);
    process.exit(2);
  }
  await lenet();
  await distillation();
  await mobilenet();
  await mobilenetDistillation();
  process.stdout.write(`\n${renderTable(['target', 'measured', 'result'], rows)}\n`);
}

run().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
