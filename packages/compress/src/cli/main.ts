#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CompressError } from '../errors.js';
import { evaluate } from '../eval/evaluate.js';
import type { Evaluation } from '../eval/types.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { readModelFile, writeFileAtomic } from '../ir/model-file.js';
import { encodeModelProto } from '../ir/model-proto.js';
import { compressForProfiles, type ProfileResult } from '../profiles/compress-for-profile.js';
import { BUILTIN_PROFILES, builtinProfile, type HardwareProfile } from '../profiles/hardware-profile.js';
import type { Recipe, RecipeStep } from '../profiles/recipe.js';
import { runRecipe } from '../profiles/run-recipe.js';
import { pruneChannels } from '../passes/prune/index.js';
import { distill } from '../train/distill.js';
import { buildStudent, STUDENT_ARCHITECTURES } from '../train/students.js';
import { ProgressBar } from './progress.js';
import { formatBytes, formatPercent, renderTable } from './table.js';

const USAGE = `edgefleet-compress — optimize, prune, quantize and measure ONNX models

usage:
  edgefleet-compress inspect  <model.onnx> [--json]
  edgefleet-compress evaluate <model.onnx> [--eval data.npz] [--reference fp32.onnx] [--threads N] [--runs N] [--max-samples N] [--json]
  edgefleet-compress optimize <model.onnx> -o OUT [--level basic|extended]
  edgefleet-compress quantize <model.onnx> -o OUT --mode static|dynamic|fp16 [--calib data.npz]
                              [--method minmax|percentile|entropy] [--percentile 99.99] [--exclude n1,n2] [--no-auto] [--threads N]
  edgefleet-compress prune    <model.onnx> -o OUT (--channels 0.25 [--norm l1|l2] | --sparsity 0.5)
  edgefleet-compress auto     <model.onnx> -o OUT [--profile id,id|all] [--calib data.npz] [--eval data.npz] [--max-samples N] [--json]
  edgefleet-compress distill  <teacher.onnx> -o OUT --data train.npz [--data more.npz] [--student pruned|mlp|cnn-small|dwcnn]
                              [--prune 0.5] [--width 1] [--epochs 10] [--temperature 4] [--alpha 0.7] [--lr 0.01]
                              [--optimizer sgd|adam] [--held-out 0.1] [--threads N] [--json]

OUT is a directory (files are named <model>.<recipe>.onnx) or a path ending in .onnx.
Built-in profiles: ${BUILTIN_PROFILES.map((p) => p.id).join(', ')}`;

class UsageError extends Error {}

const options = {
  out: { type: 'string', short: 'o' },
  json: { type: 'boolean', default: false },
  eval: { type: 'string' },
  calib: { type: 'string' },
  reference: { type: 'string' },
  threads: { type: 'string' },
  runs: { type: 'string' },
  'max-samples': { type: 'string' },
  level: { type: 'string' },
  mode: { type: 'string' },
  method: { type: 'string' },
  percentile: { type: 'string' },
  exclude: { type: 'string' },
  'no-auto': { type: 'boolean', default: false },
  channels: { type: 'string' },
  sparsity: { type: 'string' },
  norm: { type: 'string' },
  profile: { type: 'string' },
  data: { type: 'string', multiple: true },
  prune: { type: 'string' },
  student: { type: 'string' },
  optimizer: { type: 'string' },
  width: { type: 'string' },
  epochs: { type: 'string' },
  temperature: { type: 'string' },
  alpha: { type: 'string' },
  lr: { type: 'string' },
  'held-out': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function num(flags: Flags, name: keyof Flags, fallback?: number): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`--${String(name)} must be a number, got "${String(raw)}"`);
  return value;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function outputPath(flags: Flags, modelPath: string, recipeId: string): string {
  if (!flags.out) throw new UsageError('-o OUT is required');
  if (flags.out.endsWith('.onnx')) return flags.out;
  return path.join(flags.out, `${path.basename(modelPath, '.onnx')}.${recipeId}.onnx`);
}

function print(flags: Flags, json: unknown, text: () => string) {
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);
}

function evaluationRows(rows: { label: string; e: Evaluation }[]) {
  return renderTable(
    ['variant', 'bytes', 'gzip', 'top-1', 'agreement', 'cosine', 'median ms', 'p95 ms', 'MACs'],
    rows.map(({ label, e }) => [
      label,
      e.size.bytes,
      e.size.gzipBytes,
      formatPercent(e.accuracy?.top1),
      formatPercent(e.fidelity?.top1Agreement),
      e.fidelity ? e.fidelity.meanCosine.toFixed(5) : null,
      e.latencyMs.median.toFixed(3),
      e.latencyMs.p95.toFixed(3),
      e.macs,
    ]),
  );
}

async function singleRecipe(modelPath: string, flags: Flags, recipe: Recipe) {
  const model = await readModelFile(modelPath);
  const bar = new ProgressBar(recipe.id, process.stderr, !flags.json);
  const result = await runRecipe(model, recipe, {
    calibration: flags.calib,
    threads: num(flags, 'threads', 1)!,
    onProgress: (p) => bar.update(p.done, p.total, p.step),
  });
  bar.done();
  const bytes = encodeModelProto(result.model);
  const out = outputPath(flags, modelPath, recipe.id);
  await writeFileAtomic(out, bytes);
  const originalBytes = encodeModelProto(model).length;
  print(flags, { output: out, bytes: bytes.length, originalBytes, reports: result.reports }, () =>
    [
      ...result.reports.map((r) => `${r.pass}: changed ${r.changed}, skipped ${r.skipped.length}${r.notes.length ? `\n  ${r.notes.join('\n  ')}` : ''}`),
      `wrote ${out}: ${formatBytes(bytes.length)} (${((bytes.length / originalBytes) * 100).toFixed(1)}% of ${formatBytes(originalBytes)})`,
    ].join('\n'),
  );
}

async function distillCommand(modelPath: string, flags: Flags) {
  if (!flags.data?.length) throw new UsageError('distill: --data train.npz is required');
  const kind = oneOf(flags.student, ['pruned', ...STUDENT_ARCHITECTURES] as const, 'student') ?? 'pruned';
  if (kind !== 'pruned' && flags.prune !== undefined) throw new UsageError(`--prune applies to --student pruned, not ${kind}`);
  if (kind === 'pruned' && flags.width !== undefined) throw new UsageError('--width applies to the built-in students (mlp, cnn-small, dwcnn)');
  const ratio = num(flags, 'prune', 0.5)!;
  if (!(ratio >= 0 && ratio < 1)) throw new UsageError(`--prune must be in [0, 1), got ${ratio}`);
  const width = num(flags, 'width', 1)!;
  if (!(width > 0 && width <= 16)) throw new UsageError(`--width must be in (0, 16], got ${width}`);
  const heldOut = num(flags, 'held-out', 0.1)!;
  if (!(heldOut > 0 && heldOut < 1)) throw new UsageError(`--held-out must be a fraction in (0, 1), got ${heldOut}`);
  const epochs = num(flags, 'epochs', 10)!;
  const recipeId = kind !== 'pruned' ? `${kind}-distilled` : ratio > 0 ? `pruned${Math.round(ratio * 100)}-distilled` : 'distilled';
  const out = outputPath(flags, modelPath, recipeId);
  const teacher = await readModelFile(modelPath);
  const start =
    kind !== 'pruned' ? await buildStudent(teacher, kind, { width }) : ratio > 0 ? await pruneChannels(teacher, { ratio, ops: ['Conv', 'Gemm'] }) : null;
  const bar = new ProgressBar('distill', process.stderr, !flags.json);
  bar.update(0, epochs, 'teacher logits');
  const result = await distill(teacher, {
    student: start?.model ?? teacher,
    data: flags.data.map((p) => ({ path: p })),
    heldOut: { fraction: heldOut },
    epochs,
    temperature: num(flags, 'temperature'),
    alpha: num(flags, 'alpha', 0.7),
    learningRate: { kind: 'cosine', initial: num(flags, 'lr', 0.01)! },
    optimizer: oneOf(flags.optimizer, ['sgd', 'adam'] as const, 'optimizer'),
    earlyStopping: { patience: 3 },
    threads: num(flags, 'threads'),
    onProgress: (p) =>
      bar.update(
        p.epoch,
        epochs,
        `epoch ${p.epoch}/${epochs} loss ${p.loss.toFixed(4)} held-out ${p.heldOutAccuracy !== null ? `top-1 ${formatPercent(p.heldOutAccuracy)}` : `agreement ${formatPercent(p.heldOutAgreement)}`} ${Math.round(p.samplesPerSec)}/s`,
      ),
  });
  bar.done();
  const bytes = encodeModelProto(result.model);
  await writeFileAtomic(out, bytes);
  const teacherBytes = encodeModelProto(teacher);
  const [teacherMacs, studentMacs] = [(await inspectModel(teacherBytes)).macs, (await inspectModel(bytes)).macs];
  const d = result.report.details as {
    epochs: number;
    bestEpoch: number;
    samplesPerSec: number;
    wallMs: number;
    trainSamples: number;
    heldOutSamples: number;
    teacher: { heldOutAccuracy: number | null };
    heldOut: { before: { accuracy: number | null; agreement: number }; after: { accuracy: number | null; agreement: number } };
  };
  const reports = start ? [start.report, result.report] : [result.report];
  print(flags, { output: out, bytes: bytes.length, originalBytes: teacherBytes.length, macs: studentMacs, teacherMacs, reports }, () =>
    [
      renderTable(
        ['model', 'bytes', 'MACs', 'held-out top-1', 'agreement'],
        [
          ['teacher', teacherBytes.length, teacherMacs, formatPercent(d.teacher.heldOutAccuracy), '100.00%'],
          ...(start ? [[kind === 'pruned' ? 'pruned' : `${kind} (untrained)`, bytes.length, studentMacs, formatPercent(d.heldOut.before.accuracy), formatPercent(d.heldOut.before.agreement)]] : []),
          ['distilled', bytes.length, studentMacs, formatPercent(d.heldOut.after.accuracy), formatPercent(d.heldOut.after.agreement)],
        ],
      ),
      `${d.epochs} epoch${d.epochs === 1 ? '' : 's'} (kept epoch ${d.bestEpoch}) on ${d.trainSamples} samples, ${d.heldOutSamples} held out; ${Math.round(d.samplesPerSec)} samples/s; ${(d.wallMs / 1000).toFixed(1)} s`,
      `wrote ${out}: ${formatBytes(bytes.length)} (${((bytes.length / teacherBytes.length) * 100).toFixed(1)}% of ${formatBytes(teacherBytes.length)})`,
    ].join('\n'),
  );
}

function resolveProfiles(spec: string | undefined): HardwareProfile[] {
  if (!spec || spec === 'all') return [...BUILTIN_PROFILES];
  return spec.split(',').map((id) => {
    const profile = builtinProfile(id.trim());
    if (!profile) throw new UsageError(`unknown profile "${id}"; built-in: ${BUILTIN_PROFILES.map((p) => p.id).join(', ')}`);
    return profile;
  });
}

function autoReport(results: readonly ProfileResult[]) {
  return results
    .map((r) => {
      const table = renderTable(
        ['recipe', 'bytes', 'ratio', 'top-1', 'agreement', 'median ms', 'speedup', 'verdict', ''],
        r.variants.map((v) => [
          v.recipe.id,
          v.evaluation.size.bytes,
          `${(v.evaluation.size.bytes / r.baseline.size.bytes).toFixed(3)}×`,
          formatPercent(v.evaluation.accuracy?.top1),
          formatPercent(v.evaluation.fidelity?.top1Agreement),
          v.evaluation.latencyMs.median.toFixed(3),
          `${(r.baseline.latencyMs.median / v.evaluation.latencyMs.median).toFixed(2)}×`,
          v.verdict.status === 'passed' ? `passed (${v.judgedOn})` : `failed: ${v.verdict.reasons.join('; ')}`,
          [v.recommended ? '★ recommended' : '', v.onParetoFront ? 'pareto' : ''].filter(Boolean).join(', '),
        ]),
      );
      return `${r.profile.id} — ${r.profile.name} (${r.profile.threads} thread${r.profile.threads > 1 ? 's' : ''}; fp32 ${formatBytes(r.baseline.size.bytes)}, ${r.baseline.latencyMs.median.toFixed(3)} ms${r.baseline.accuracy ? `, top-1 ${formatPercent(r.baseline.accuracy.top1)}` : ''})\n${table}`;
    })
    .join('\n\n');
}

export async function main(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const [command, modelPath] = positionals;
  if (flags.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || flags.help ? 0 : 2;
  }
  if (!modelPath) throw new UsageError(`${command}: a model path is required`);

  switch (command) {
    case 'inspect': {
      const inspection = await inspectModel(modelPath);
      print(flags, inspection, () =>
        [
          `${path.basename(modelPath)}: IR ${inspection.irVersion}, opsets ${inspection.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}, producer ${inspection.producer.name} ${inspection.producer.version}`,
          `inputs:  ${inspection.inputs.map((i) => `${i.name} ${i.elemType}[${(i.shape ?? []).join(',')}]`).join('; ')}`,
          `outputs: ${inspection.outputs.map((i) => `${i.name} ${i.elemType}[${(i.shape ?? []).join(',')}]`).join('; ')}`,
          `nodes ${inspection.nodeCount}, parameters ${inspection.parameterCount.toLocaleString('en')}, MACs ${inspection.macs?.toLocaleString('en') ?? 'unknown'} (${inspection.macsNote})`,
          renderTable(['op', 'count'], Object.entries(inspection.opHistogram).sort((a, b) => b[1] - a[1])),
        ].join('\n'),
      );
      return 0;
    }
    case 'evaluate': {
      const bar = new ProgressBar('evaluate', process.stderr, !flags.json);
      const evaluation = await evaluate(modelPath, {
        dataset: flags.eval,
        reference: flags.reference,
        maxSamples: num(flags, 'max-samples'),
        threads: num(flags, 'threads', 1),
        latency: { threads: num(flags, 'threads', 1), runs: num(flags, 'runs', 50) },
        onProgress: (p) => bar.update(p.done, p.total, p.phase),
      });
      bar.done();
      print(flags, evaluation, () => evaluationRows([{ label: path.basename(modelPath), e: evaluation }]));
      return 0;
    }
    case 'optimize': {
      const level = oneOf(flags.level, ['basic', 'extended'] as const, 'level') ?? 'basic';
      await singleRecipe(modelPath, flags, { id: `optimized-${level}`, precision: 'fp32', steps: [{ name: 'optimize', level }] });
      return 0;
    }
    case 'quantize': {
      const mode = oneOf(flags.mode, ['static', 'dynamic', 'fp16'] as const, 'mode');
      if (!mode) throw new UsageError('quantize: --mode static|dynamic|fp16 is required');
      let step: RecipeStep;
      if (mode === 'static') {
        if (!flags.calib) throw new UsageError('quantize --mode static needs --calib data.npz');
        step = {
          name: 'int8-static',
          method: oneOf(flags.method, ['minmax', 'percentile', 'entropy'] as const, 'method'),
          percentile: num(flags, 'percentile'),
          auto: !flags['no-auto'],
          exclude: flags.exclude?.split(',').map((s) => s.trim()).filter(Boolean),
        };
      } else step = mode === 'dynamic' ? { name: 'int8-dynamic' } : { name: 'fp16' };
      await singleRecipe(modelPath, flags, { id: mode === 'fp16' ? 'fp16' : `int8-${mode}`, precision: mode === 'fp16' ? 'fp16' : 'int8', steps: [step] });
      return 0;
    }
    case 'prune': {
      const channels = num(flags, 'channels');
      const sparsity = num(flags, 'sparsity');
      if ((channels === undefined) === (sparsity === undefined)) throw new UsageError('prune: give exactly one of --channels RATIO or --sparsity FRACTION');
      const step: RecipeStep =
        channels !== undefined
          ? { name: 'prune-channels', ratio: channels, norm: oneOf(flags.norm, ['l1', 'l2'] as const, 'norm') }
          : { name: 'prune-unstructured', sparsity: sparsity! };
      await singleRecipe(modelPath, flags, { id: channels !== undefined ? `pruned-channels-${channels}` : `pruned-${sparsity}`, precision: 'fp32', steps: [step] });
      return 0;
    }
    case 'auto': {
      const profiles = resolveProfiles(flags.profile);
      const bars = new Map<string, ProgressBar>();
      const results = await compressForProfiles(
        modelPath,
        profiles,
        { calibration: flags.calib, evaluation: flags.eval },
        {
          maxEvalSamples: num(flags, 'max-samples'),
          onProgress: (p) => {
            const label = `${p.profile}/${p.recipe}`;
            let bar = bars.get(label);
            if (!bar) bars.set(label, (bar = new ProgressBar(label, process.stderr, !flags.json)));
            bar.update(p.done, p.total, p.step);
          },
        },
      );
      const written: Record<string, string> = {};
      if (flags.out) {
        for (const r of results) {
          for (const v of r.variants) {
            const file = flags.out.endsWith('.onnx') ? flags.out : path.join(flags.out, r.profile.id, `${path.basename(modelPath, '.onnx')}.${v.recipe.id}.onnx`);
            await writeFileAtomic(file, v.model);
            written[`${r.profile.id}/${v.recipe.id}`] = file;
          }
        }
      }
      const json = results.map((r) => ({
        profile: r.profile,
        baseline: r.baseline,
        recommended: r.recommended,
        variants: r.variants.map(({ model: _model, ...v }) => ({ ...v, file: written[`${r.profile.id}/${v.recipe.id}`] ?? null })),
      }));
      print(flags, json, () => autoReport(results));
      return 0;
    }
    case 'distill':
      await distillCommand(modelPath, flags);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

// Run only as the bin, not when imported by tests.
// npm links the bin through a symlink, so compare real paths.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
        process.stderr.write(`edgefleet-compress: ${err.message}\n`);
        process.exit(2);
      }
      if (err instanceof CompressError) {
        process.stderr.write(`edgefleet-compress: ${err.message}\n`);
        process.exit(1);
      }
      process.stderr.write(`edgefleet-compress: unexpected error\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
