import { encodeModelProto } from '../../ir/model-proto.js';
import type { onnx } from '../../ir/onnx.js';
import { FidelityProbe, type Fidelity } from './fidelity.js';
import type { Layer } from './layers.js';
import { median, profileNodes, type NodeTiming, type ProfileResult } from './profile.js';
import { openSession, type ort } from './session.js';
import type { AutoQuantizeOptions, AutoQuantizeReport, FloatLayerReport, LatencyFigure } from './types.js';

export interface AutoSelectInput {
  /** The prepared float model (the fidelity reference). */
  readonly reference: onnx.ModelProto;
  /** Layers that may be quantized. */
  readonly layers: readonly Layer[];
  /** Builds the QDQ model with the given layers left in float. */
  readonly build: (floatLayers: ReadonlySet<string>) => onnx.ModelProto;
  readonly dataset: string;
  readonly options: AutoQuantizeOptions;
  readonly onProgress?: (progress: { step: string; done: number; total: number }) => void;
}

const DEFAULTS = { minAgreement: 0.99, minCosine: 0.99, fidelitySamples: 100, threads: 1, profileRuns: 30, maxFloatLayers: 8, maxFloatBytesShare: 0.02, reportThreads: [2] as readonly number[] };
/** Ops onnxruntime inserts at precision or layout boundaries. */
const BOUNDARY_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'Transpose', 'ReorderInput', 'ReorderOutput']);
/** A configuration must beat full int8 by this share of its latency to be worth float layers. */
const MIN_GAIN = 0.02;
/** Candidates ranked by sensitivity that are tried at each fidelity step. */
const TRIALS_PER_STEP = 3;

/**
 * The automatic mode: decides which layers stay in float, measuring rather than guessing.
 *
 * 1. Latency (optional): profiles the float model and the fully quantized one with onnxruntime's
 *    profiler at batch 1 and the target's thread count, maps every fused kernel back to its layer
 *    (QLinearConv nodes carry the layer's node name, float NCHWc convs its output name), and estimates
 *    the latency of any float/int8 assignment as the sum of per-layer times plus the cost of each
 *    precision boundary (QuantizeLinear/DequantizeLinear and layout changes, priced per element from
 *    the same profiles). A local search over single and adjacent-pair flips finds the assignments
 *    with the lowest estimate, within a size budget (`maxFloatBytesShare`: latency alone must not undo
 *    the compression); these and full int8 are then timed end to end, interleaved, and the fastest
 *    measured one wins (it must beat full int8 by 2%, judged on paired per-round ratios).
 * 2. Fidelity: the chosen model is compared with the float one on the fidelity samples (top-1
 *    agreement, cosine). While below target, layers are ranked by the quantization noise they add
 *    (1 − cosine of their output against the float model's, minus that of their inputs), and the
 *    top candidates are tried one at a time; the one that helps most stays float.
 */
export async function autoSelectFloatLayers(input: AutoSelectInput): Promise<{ floatLayers: string[]; report: AutoQuantizeReport }> {
  const options = { ...DEFAULTS, ...input.options };
  const notes: string[] = [];
  const progress = (step: string, done: number, total: number) => input.onProgress?.({ step, done, total });
  const probe = await FidelityProbe.create(input.reference, input.dataset, options.fidelitySamples);
  const referenceBytes = encodeModelProto(input.reference);
  const bytesOf = (floatLayers: ReadonlySet<string>) => encodeModelProto(input.build(floatLayers));
  const fidelityCache = new Map<string, Fidelity>();
  const fidelityOf = async (floatLayers: ReadonlySet<string>): Promise<Fidelity> => {
    const key = [...floatLayers].sort().join('\n');
    let f = fidelityCache.get(key);
    if (!f) {
      f = await probe.measure(bytesOf(floatLayers));
      fidelityCache.set(key, f);
    }
    return f;
  };
  const layerByName = new Map(input.layers.map((l) => [l.name, l]));
  const bytesCost = (name: string) => layerByName.get(name)!.floatBytes - layerByName.get(name)!.int8Bytes;
  const reasons = new Map<string, 'latency' | 'fidelity'>();

  // 1. Latency.
  let chosen = new Set<string>();
  let latency: AutoQuantizeReport['latency'] = null;
  let timings: LayerTimings | undefined;
  if (options.latency !== false) {
    const feeds = probe.firstSample();
    progress('profile', 0, 2);
    const floatProfile = await profileNodes(referenceBytes, feeds, { threads: options.threads, runs: options.profileRuns });
    progress('profile', 1, 2);
    const fullBytes = bytesOf(new Set());
    const int8Profile = await profileNodes(fullBytes, feeds, { threads: options.threads, runs: options.profileRuns });
    progress('profile', 2, 2);
    timings = layerTimings(input.layers, floatProfile, int8Profile, feeds);
    const estimator = new LatencyEstimator(input.layers, timings);
    const budget = options.maxFloatBytesShare * referenceBytes.length;
    const trajectory = estimator.search((set) => [...set].reduce((a, name) => a + bytesCost(name), 0) <= budget);
    const candidates = dedupe([new Set<string>(), ...trajectory]).slice(0, 4);
    const models = [referenceBytes, ...candidates.map((c) => (c.size === 0 ? fullBytes : bytesOf(c)))];
    progress('latency', 0, 1);
    const rounds = await measureRounds(models, feeds, { threads: options.threads });
    progress('latency', 1, 1);
    const measured = rounds.map((r) => median(r.flat()));
    const [floatMs, fullMs] = measured;
    // Decide on paired per-round ratios against full int8: a burst of load on a shared machine then
    // slows both sides of a pair alike instead of favouring whichever model it missed.
    const ratios = candidates.map((_, k) => median(rounds[k + 1]!.map((times, r) => median(times) / median(rounds[1]![r]!))));
    let bestIndex = 0;
    ratios.forEach((ratio, k) => {
      if (k > 0 && ratio < 1 - MIN_GAIN && ratio < ratios[bestIndex]!) bestIndex = k;
    });
    chosen = new Set(candidates[bestIndex]!);
    for (const name of chosen) reasons.set(name, 'latency');
    latency = {
      float: { ms: floatMs!, threads: options.threads },
      fullInt8: { ms: fullMs!, threads: options.threads },
      chosen: { ms: measured[bestIndex + 1]!, threads: options.threads },
      candidates: candidates.map((c, i) => ({ floatLayers: [...c], estimatedUs: estimator.estimate(c), measuredMs: measured[i + 1]! })),
      otherThreads: [],
    };
  }

  // 2. Fidelity.
  const target = { minAgreement: options.minAgreement, minCosine: options.minCosine };
  const meets = (f: Fidelity) => f.agreement >= target.minAgreement && f.cosine >= target.minCosine;
  const fullFidelity = await fidelityOf(new Set());
  let current = await fidelityOf(chosen);
  const fidelitySteps: { layer: string; before: Fidelity; after: Fidelity }[] = [];
  if (!meets(current)) {
    const ranking = await sensitivityRanking(probe, input, chosen);
    // Bounded work: each trial is a session and a pass over the fidelity samples.
    let trialsLeft = 2 * TRIALS_PER_STEP * options.maxFloatLayers;
    while (!meets(current) && fidelitySteps.length < options.maxFloatLayers && trialsLeft > 0) {
      const trials = ranking.filter((name) => !chosen.has(name)).slice(0, Math.min(TRIALS_PER_STEP, trialsLeft));
      if (trials.length === 0) break;
      trialsLeft -= trials.length;
      let best: { name: string; fidelity: Fidelity } | undefined;
      for (const name of trials) {
        const fidelity = await fidelityOf(new Set([...chosen, name]));
        // Among trials that reach the target, the one costing fewest bytes; else the most faithful.
        const cheaper = best && meets(fidelity) && meets(best.fidelity) && bytesCost(name) < bytesCost(best.name);
        if (!best || (meets(fidelity) && !meets(best.fidelity)) || cheaper || (!meets(best.fidelity) && better(fidelity, best.fidelity))) best = { name, fidelity };
      }
      progress('fidelity', fidelitySteps.length + 1, options.maxFloatLayers);
      if (!better(best!.fidelity, current) && best!.fidelity.agreement <= current.agreement) {
        // Nothing in the top of the ranking helps: drop those candidates and look further down.
        for (const name of trials) ranking.splice(ranking.indexOf(name), 1);
        continue;
      }
      fidelitySteps.push({ layer: best!.name, before: current, after: best!.fidelity });
      chosen.add(best!.name);
      reasons.set(best!.name, 'fidelity');
      current = best!.fidelity;
    }
    notes.push(
      meets(current)
        ? `fidelity target met with ${fidelitySteps.length} layer(s) kept float for accuracy`
        : `fidelity target (agreement ≥ ${target.minAgreement}, cosine ≥ ${target.minCosine}) not met: ${current.agreement.toFixed(4)} / ${current.cosine.toFixed(4)} with ${chosen.size} float layer(s)`,
    );
  }

  // 3. What each float layer cost and bought.
  const floatLayers: FloatLayerReport[] = [];
  for (const name of chosen) {
    const step = fidelitySteps.find((s) => s.layer === name);
    const without = new Set(chosen);
    without.delete(name);
    const quantized = step ? step.before : await fidelityOf(without);
    floatLayers.push({
      layer: name,
      reason: reasons.get(name)!,
      bytesCost: bytesCost(name),
      // A layer with no kernel of its own runs fused into a neighbour's (an Add into the Conv before it).
      floatUs: timings ? (timings.float.get(name) ?? 0) : null,
      int8Us: timings ? (timings.int8.get(name) ?? 0) : null,
      agreementFloat: current.agreement,
      agreementInt8: quantized.agreement,
    });
  }
  if (latency && fidelitySteps.length > 0) {
    // Fidelity added float layers after the latency choice: time the final configuration too.
    const final = await measureInterleaved([referenceBytes, bytesOf(new Set()), bytesOf(chosen)], probe.firstSample(), { threads: options.threads });
    latency = { ...latency, float: fig(final[0]!, options.threads), fullInt8: fig(final[1]!, options.threads), chosen: fig(final[2]!, options.threads) };
  }
  if (latency) {
    // The same three models at other thread counts, for the report.
    const fullBytes = bytesOf(new Set());
    const chosenBytes = bytesOf(chosen);
    const others: { threads: number; float: number; fullInt8: number; chosen: number }[] = [];
    for (const threads of options.reportThreads.filter((t) => t !== options.threads)) {
      const [f, q, c] = await measureInterleaved([referenceBytes, fullBytes, chosenBytes], probe.firstSample(), { threads, rounds: 6 });
      others.push({ threads, float: f!, fullInt8: q!, chosen: c! });
      notes.push(`latency at ${threads} threads: float ${f!.toFixed(3)} ms, full int8 ${q!.toFixed(3)} ms, chosen ${c!.toFixed(3)} ms (speed-up over float ${(f! / c!).toFixed(2)}×)`);
    }
    latency = { ...latency, otherThreads: others };
    notes.unshift(
      `latency at ${options.threads} thread(s), batch ${probe.latencyBatch}: float ${latency.float.ms.toFixed(3)} ms, full int8 ${latency.fullInt8.ms.toFixed(3)} ms, ` +
        `chosen ${latency.chosen.ms.toFixed(3)} ms (speed-up over float ${(latency.float.ms / latency.chosen.ms).toFixed(2)}×)` +
        (chosen.size > 0 ? ` with ${chosen.size} layer(s) in float` : ''),
    );
  }
  return {
    floatLayers: [...chosen],
    report: {
      threads: options.threads,
      floatLayers,
      fidelity: {
        samples: probe.samples,
        target,
        fullInt8: { agreement: fullFidelity.agreement, cosine: fullFidelity.cosine },
        chosen: { agreement: current.agreement, cosine: current.cosine },
        met: meets(current),
      },
      latency,
      notes,
    },
  };
}

function fig(ms: number, threads: number): LatencyFigure {
  return { ms, threads };
}

function better(a: Fidelity, b: Fidelity): boolean {
  return a.agreement > b.agreement || (a.agreement === b.agreement && a.cosine > b.cosine);
}

function dedupe(sets: readonly Set<string>[]): Set<string>[] {
  const seen = new Set<string>();
  return sets.filter((s) => {
    const key = [...s].sort().join('\n');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Layers ordered by the noise they add: 1 − cosine of the layer's output against the float model's,
 * minus the worst of its inputs (what it inherited), measured with the layers in `floatLayers` float.
 */
async function sensitivityRanking(probe: FidelityProbe, input: AutoSelectInput, floatLayers: ReadonlySet<string>): Promise<string[]> {
  const layers = input.layers.filter((l) => !floatLayers.has(l.name));
  const tensors = [...new Set(layers.flatMap((l) => [l.output, ...l.inputs]))];
  const errors = await probe.tensorErrors(input.reference, input.build(floatLayers), tensors);
  const added = layers.map((l) => {
    const out = errors.get(l.output) ?? 0;
    const inherited = Math.max(0, ...l.inputs.map((i) => errors.get(i) ?? 0));
    return { name: l.name, noise: out - inherited };
  });
  return added.sort((a, b) => b.noise - a.noise).map((a) => a.name);
}

interface LayerTimings {
  readonly float: Map<string, number>;
  readonly int8: Map<string, number>;
  /** Elements per sample of each tensor that can become a boundary (layer outputs, graph inputs). */
  readonly elements: Map<string, number>;
  /** Estimated µs of one precision boundary on a tensor of n elements. */
  readonly boundaryUs: (elements: number) => number;
}

/**
 * Maps profiled kernels back to layers: an int8 kernel is named after the layer's node
 * (`<node>_token_<n>`), a float NCHWc kernel after its output tensor (`<output>_nchwc`, the
 * activation's output when one was fused). Kernels matching no layer are boundaries (Q/DQ, layout)
 * or ops outside any layer, whose cost does not depend on the assignment.
 */
function layerTimings(layers: readonly Layer[], floatProfile: ProfileResult, int8Profile: ProfileResult, feeds: Record<string, ort.Tensor>): LayerTimings {
  const keys = new Map<string, string>();
  for (const layer of layers) {
    for (const member of layer.members) keys.set(member, layer.name);
    keys.set(layer.output, layer.name);
  }
  const assign = (profile: ProfileResult) => {
    const times = new Map<string, number>();
    const elements = new Map<string, number>();
    const unmatched: NodeTiming[] = [];
    for (const node of profile.nodes) {
      const layer = matchLayer(node.name, keys);
      if (layer === undefined) {
        unmatched.push(node);
        continue;
      }
      times.set(layer, (times.get(layer) ?? 0) + node.us);
      elements.set(layer, Math.max(elements.get(layer) ?? 0, node.outputElements));
    }
    return { times, elements, unmatched };
  };
  const f = assign(floatProfile);
  const q = assign(int8Profile);
  const elements = new Map<string, number>();
  for (const layer of layers) elements.set(layer.output, q.elements.get(layer.name) ?? f.elements.get(layer.name) ?? 0);
  for (const [name, tensor] of Object.entries(feeds)) elements.set(name, tensor.dims.slice(1).reduce((a, d) => a * d, 1));

  // Boundary cost ≈ per-node overhead + per-element cost of quantize/dequantize and of layout changes.
  const boundary = [...f.unmatched, ...q.unmatched].filter((n) => BOUNDARY_OPS.has(n.op));
  const perElement = (ops: readonly string[]) => {
    const rates = boundary.filter((n) => ops.includes(n.op) && n.outputElements >= 1024).map((n) => n.us / n.outputElements);
    return rates.length > 0 ? median(rates) : 0;
  };
  const overhead = boundary.length > 0 ? Math.min(...boundary.map((n) => n.us)) : 2;
  const quantizeRate = perElement(['QuantizeLinear', 'DequantizeLinear']);
  const layoutRate = perElement(['Transpose']) + perElement(['ReorderInput', 'ReorderOutput']);
  return {
    float: f.times,
    int8: q.times,
    elements,
    boundaryUs: (n) => 3 * overhead + n * (quantizeRate + layoutRate),
  };
}

/** What onnxruntime adds to a node's name when it fuses or re-lays it out. */
const DECORATIONS = [/_token_\d+$/, /_nchwc$/, /\/[^/]*Fusion$/, /^fused /];

function matchLayer(kernelName: string, keys: ReadonlyMap<string, string>): string | undefined {
  let name = kernelName;
  for (let i = 0; i < 4; i++) {
    const hit = keys.get(name);
    if (hit !== undefined) return hit;
    const stripped = DECORATIONS.reduce((n, re) => n.replace(re, ''), name);
    if (stripped === name) return undefined;
    name = stripped;
  }
  return undefined;
}

/** Estimated latency of float/int8 assignments, from per-layer profiles plus boundary costs. */
class LatencyEstimator {
  private readonly producerOf = new Map<string, Layer>();
  private readonly consumersOf = new Map<string, Layer[]>();

  constructor(
    private readonly layers: readonly Layer[],
    private readonly timings: LayerTimings,
  ) {
    for (const layer of layers) this.producerOf.set(layer.output, layer);
    for (const layer of layers) {
      for (const t of layer.inputs) this.consumersOf.set(t, [...(this.consumersOf.get(t) ?? []), layer]);
    }
  }

  /** Microseconds per run: layer kernels plus one boundary per tensor crossing precisions. */
  estimate(floatLayers: ReadonlySet<string>): number {
    let total = 0;
    for (const layer of this.layers) {
      const map = floatLayers.has(layer.name) ? this.timings.float : this.timings.int8;
      total += map.get(layer.name) ?? 0;
    }
    for (const [tensor, consumers] of this.consumersOf) {
      const producer = this.producerOf.get(tensor);
      // Graph inputs and tensors from ops outside any layer are float.
      const producedInt8 = producer ? !floatLayers.has(producer.name) : false;
      const toInt8 = consumers.some((c) => !floatLayers.has(c.name));
      const toFloat = consumers.some((c) => floatLayers.has(c.name));
      const n = this.timings.elements.get(tensor) ?? 0;
      if (!producedInt8 && toInt8) total += this.timings.boundaryUs(n);
      if (producedInt8 && toFloat) total += this.timings.boundaryUs(n);
    }
    return total;
  }

  /**
   * Local search from full int8: flip the one layer, or the producer–consumer pair, that lowers the
   * estimate most, until nothing does. Returns the sequence of improving assignments.
   */
  search(allowed: (floatLayers: ReadonlySet<string>) => boolean): Set<string>[] {
    const timed = this.layers.filter((l) => this.timings.float.has(l.name) || this.timings.int8.has(l.name));
    const moves: string[][] = timed.map((l) => [l.name]);
    for (const layer of timed) {
      for (const consumer of this.consumersOf.get(layer.output) ?? []) moves.push([layer.name, consumer.name]);
    }
    let current = new Set<string>();
    let cost = this.estimate(current);
    const trajectory: Set<string>[] = [];
    for (let step = 0; step < 50; step++) {
      let best: { set: Set<string>; cost: number } | undefined;
      for (const move of moves) {
        const next = new Set(current);
        for (const name of move) {
          if (next.has(name)) next.delete(name);
          else next.add(name);
        }
        if (!allowed(next)) continue;
        const c = this.estimate(next);
        if (!best || c < best.cost) best = { set: next, cost: c };
      }
      if (!best || best.cost > cost - 1) break;
      current = best.set;
      cost = best.cost;
      trajectory.push(current);
    }
    // Most promising first: the final assignment, then the earlier (smaller) ones.
    return trajectory.reverse();
  }
}

/**
 * Median latency (ms) of each model at batch 1, measured in interleaved rounds so that a change in
 * machine load affects every model alike.
 */
export async function measureInterleaved(
  models: readonly Uint8Array[],
  feeds: Record<string, ort.Tensor>,
  options: { threads: number; rounds?: number; runsPerRound?: number; warmup?: number },
): Promise<number[]> {
  return (await measureRounds(models, feeds, options)).map((rounds) => median(rounds.flat()));
}

/** Per model, per round, the run times (ms) of `measureInterleaved`. */
async function measureRounds(
  models: readonly Uint8Array[],
  feeds: Record<string, ort.Tensor>,
  options: { threads: number; rounds?: number; runsPerRound?: number; warmup?: number },
): Promise<number[][][]> {
  const rounds = options.rounds ?? 10;
  const perRound = options.runsPerRound ?? 10;
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const model of models) sessions.push(await openSession(model, { threads: options.threads }));
    for (const session of sessions) for (let i = 0; i < (options.warmup ?? 5); i++) await session.run(feeds);
    const times = models.map(() => [] as number[][]);
    for (let r = 0; r < rounds; r++) {
      for (let m = 0; m < sessions.length; m++) {
        const round: number[] = [];
        for (let i = 0; i < perRound; i++) {
          const begin = performance.now();
          await sessions[m]!.run(feeds);
          round.push(performance.now() - begin);
        }
        times[m]!.push(round);
      }
    }
    return times;
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}
