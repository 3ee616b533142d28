import { describe, expect, it } from 'vitest';
import { readModelFile } from '../ir/model-file.js';
import type { onnx } from '../ir/onnx.js';
import { readFloat32 } from '../ir/tensor-data.js';
import { ort } from '../inspect/runtime.js';
import { optimize } from './optimize.js';
import { toFloat16 } from './fp16.js';
import { pruneChannels, pruneUnstructured } from './prune/index.js';
import { quantizeDynamic, quantizeStatic } from './quantize/index.js';
import type { PassResult } from './pass-result.js';
import { expectCompressError } from '../../test/expect-error.js';
import { expectPassInvariants } from '../../test/pass-invariants.js';
import { runModel } from '../../test/pass-run.js';
import { writeFloatNpz } from '../../test/quantize-helpers.js';
import {
  SYNTHETIC_CLASSES,
  SYNTHETIC_INPUT,
  SYNTHETIC_OUTPUT,
  mobileNetV3Block,
  syntheticInputs,
  writeWithExternalData,
  type WeightStorage,
} from '../../test/synthetic-models.js';
import { useTempDir } from '../../test/temp-dir.js';

/*
 * Robustness on models none of the fixtures resemble: a MobileNetV3-style block (stride-2 stem,
 * HardSwish, depthwise Conv, squeeze-excitation, residual Add, Gemm head) with seeded random
 * weights, at opsets 7 → 21 and with weights as initializers, Constant nodes or external data.
 *
 * Tolerances, for random weights (no trained decision margin, so top-1 agreement means little):
 * - optimize / toFloat16 change only rounding → per-sample cosine with the fp32 logits > 0.999.
 * - int8 (dynamic and static) → per-sample cosine > 0.995: with O(1) activations (He-scaled weights),
 *   8-bit rounding of weights and activations perturbs each logit by about a percent (measured: the
 *   worst sample over all cases is ≈ 0.9998, so a broken scale or zero point, which sends cosine
 *   towards 0 or negative, cannot pass, while seed-to-seed noise has a wide margin).
 * - pruning changes the function on purpose; random weights give no accuracy to keep, so the check
 *   is structural: requested sparsity reached / channels really removed (or refused layers listed in
 *   `report.skipped`), finite outputs of the right shape at both batch sizes.
 */

const dir = useTempDir('robustness');
const calibration = writeFloatNpz(dir, 'calibration.npz', { [SYNTHETIC_INPUT]: syntheticInputs(64, 7) });

interface ModelCase {
  readonly label: string;
  readonly opset: number;
  readonly storage: WeightStorage;
  /**
   * Passes that must refuse this model, with the reason. IR 3 (opset 7 era) lists every initializer
   * as a graph input too, i.e. as a default callers may override at run time: the pruning passes do
   * not rewrite overridable inputs, and say so with `pass/refused`.
   */
  readonly refuses?: Readonly<Record<string, RegExp>>;
}

const OVERRIDABLE = /also a graph input \(callers may override it\)/;

const MODELS: readonly ModelCase[] = [
  {
    label: 'opset 7 (IR 3) / initializers',
    opset: 7,
    storage: 'initializer',
    refuses: { 'pruneUnstructured(0.5)': OVERRIDABLE, 'pruneChannels(0.25)': OVERRIDABLE },
  },
  ...[11, 13, 17, 21].map((opset) => ({ label: `opset ${opset} / initializers`, opset, storage: 'initializer' as const })),
  { label: 'opset 13 / Constant nodes', opset: 13, storage: 'constant' },
  { label: 'opset 17 / Constant nodes', opset: 17, storage: 'constant' },
  { label: 'opset 13 / external data', opset: 13, storage: 'external' },
  { label: 'opset 21 / external data', opset: 21, storage: 'external' },
];

async function loadCase(c: ModelCase): Promise<onnx.ModelProto> {
  const { model } = mobileNetV3Block({ opset: c.opset, storage: c.storage });
  if (c.storage !== 'external') return model;
  return readModelFile(writeWithExternalData(dir, `mnv3-opset${c.opset}`, model));
}

type Check = 'float' | 'int8' | 'unstructured' | 'channels';

interface PassCase {
  readonly pass: string;
  readonly check: Check;
  readonly run: (model: onnx.ModelProto) => Promise<PassResult>;
}

const PASSES: readonly PassCase[] = [
  { pass: 'optimize(basic)', check: 'float', run: (m) => optimize(m, { level: 'basic' }) },
  { pass: 'toFloat16', check: 'float', run: (m) => toFloat16(m) },
  { pass: 'quantizeDynamic', check: 'int8', run: (m) => quantizeDynamic(m) },
  { pass: 'quantizeStatic', check: 'int8', run: (m) => quantizeStatic(m, { calibration, auto: false }) },
  { pass: 'pruneUnstructured(0.5)', check: 'unstructured', run: (m) => pruneUnstructured(m, { sparsity: 0.5 }) },
  { pass: 'pruneChannels(0.25)', check: 'channels', run: (m) => pruneChannels(m, { ratio: 0.25 }) },
];

const BATCHES = [2, 3] as const;

function feed(batch: number): Record<string, ort.Tensor> {
  const { shape, data } = syntheticInputs(batch, 100 + batch);
  return { [SYNTHETIC_INPUT]: new ort.Tensor('float32', data, shape) };
}

/** Per-sample cosine similarity of [batch, classes] logits. */
function rowCosines(a: Float32Array, b: Float32Array, rows: number): number[] {
  const cols = a.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = r * cols; c < (r + 1) * cols; c++) {
      dot += a[c]! * b[c]!;
      na += a[c]! * a[c]!;
      nb += b[c]! * b[c]!;
    }
    return dot / Math.sqrt(na * nb);
  });
}

async function logits(model: onnx.ModelProto, batch: number): Promise<Float32Array> {
  const out = (await runModel(model, feed(batch)))[SYNTHETIC_OUTPUT]!;
  expect(out.type).toBe('float32');
  expect([...out.dims]).toEqual([batch, SYNTHETIC_CLASSES]);
  const data = out.data as Float32Array;
  expect(data.every(Number.isFinite)).toBe(true);
  return data;
}

async function expectCloseToFloat(reference: onnx.ModelProto, result: onnx.ModelProto, minCosine: number): Promise<void> {
  for (const batch of BATCHES) {
    const cosines = rowCosines(await logits(result, batch), await logits(reference, batch), batch);
    expect(Math.min(...cosines), `batch ${batch}: cosines ${cosines.map((c) => c.toFixed(5)).join(', ')}`).toBeGreaterThan(minCosine);
  }
}

/** Conv/Gemm weights of a model, by name, whether initializers or Constant nodes. */
function linearWeights(model: onnx.ModelProto): Map<string, onnx.ITensorProto> {
  const graph = model.graph!;
  const tensors = new Map<string, onnx.ITensorProto>((graph.initializer ?? []).map((t) => [t.name!, t]));
  for (const n of graph.node ?? []) {
    if (n.opType === 'Constant') {
      const value = n.attribute?.find((a) => a.name === 'value')?.t;
      if (value) tensors.set(n.output![0]!, value);
    }
  }
  const out = new Map<string, onnx.ITensorProto>();
  for (const n of graph.node ?? []) {
    if ((n.opType === 'Conv' || n.opType === 'Gemm') && tensors.has(n.input![1]!)) out.set(n.input![1]!, tensors.get(n.input![1]!)!);
  }
  return out;
}

async function checkResult(c: PassCase, reference: onnx.ModelProto, result: PassResult): Promise<void> {
  switch (c.check) {
    case 'float':
      return expectCloseToFloat(reference, result.model, 0.999);
    case 'int8':
      expect(result.report.changed).toBeGreaterThan(0);
      return expectCloseToFloat(reference, result.model, 0.995);
    case 'unstructured': {
      let zeros = 0;
      let total = 0;
      for (const t of linearWeights(result.model).values()) {
        const values = readFloat32(t);
        total += values.length;
        zeros += values.filter((v) => v === 0).length;
      }
      expect(total).toBeGreaterThan(0);
      expect(zeros / total).toBeCloseTo(0.5, 2);
      for (const batch of BATCHES) await logits(result.model, batch);
      return;
    }
    case 'channels': {
      const before = linearWeights(reference);
      const after = linearWeights(result.model);
      const elements = (m: Map<string, onnx.ITensorProto>) =>
        [...m.values()].reduce((n, t) => n + (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1), 0);
      expect(elements(after)).toBeLessThan(elements(before));
      // The stem and the 1×1 projection both feed the residual Add: removing channels of one without
      // the other would break the Add, so they are either pruned together or reported as skipped.
      const skipped = new Map(result.report.skipped.map((s) => [s.node, s.reason]));
      const pruned = new Set(((result.report.details as { layers?: { node: string }[] }).layers ?? []).map((l) => l.node));
      const residualFeeders = ['Conv_stem', 'Conv_project'];
      const feederOutcomes = residualFeeders.map((n) => (pruned.has(n) ? 'pruned' : skipped.has(n) ? 'skipped' : 'untouched'));
      expect(feederOutcomes.includes('untouched') && !feederOutcomes.every((o) => o === 'untouched'), JSON.stringify(result.report.skipped)).toBe(false);
      for (const batch of BATCHES) await logits(result.model, batch);
      return;
    }
  }
}

describe.each(MODELS)('MobileNetV3-style block, $label', (modelCase) => {
  it.each(PASSES)('$pass keeps the pass invariants and runs at batch 2 and 3', async (passCase) => {
    const reference = await loadCase(modelCase);
    const refusal = modelCase.refuses?.[passCase.pass];
    if (refusal) {
      const error = await expectCompressError(() => passCase.run(reference), 'pass/refused');
      expect(error.message).toMatch(refusal);
      return;
    }
    const result = await expectPassInvariants(reference, passCase.run);
    await checkResult(passCase, reference, result);
  });
});

describe('quantizeStatic with auto mode on a synthetic model', () => {
  it('chooses float layers by latency and fidelity and stays close to fp32', async () => {
    const reference = await loadCase(MODELS.find((m) => m.opset === 13 && m.storage === 'initializer')!);
    const result = await expectPassInvariants(reference, (m) => quantizeStatic(m, { calibration, auto: { threads: 1, profileRuns: 5, reportThreads: [] } }));
    await expectCloseToFloat(reference, result.model, 0.995);
  });
});
