import type { InferenceRunner, TensorData } from '../runtime/model-session.js';
import type { ShadowSample } from './shadow-report.js';

/** The candidate a rollout asked this device to evaluate (desired state `shadow`). */
export interface ShadowCandidate {
  rolloutId: string;
  versionId: string;
  variantId: string;
  sha256: string;
}

export interface ShadowEvaluatorOptions {
  /**
   * The candidate's own session (in a child process: `IsolatedSession`, so its runs never hold up the served ones);
   * the evaluator owns it and disposes it in {@link ShadowEvaluator.dispose}.
   */
  session: InferenceRunner;
  candidate: ShadowCandidate;
  /** Share of served requests also run on the candidate, 0..1. */
  sampleRate: number;
  /**
   * Candidate runs at once. A sampled request arriving while this many run is skipped (and counted), never queued:
   * shadow work must not pile up behind a slow candidate. @defaultValue 1
   */
  maxConcurrent?: number;
  onSample?: (sample: ShadowSample) => void;
  /** @defaultValue Math.random */
  random?: () => number;
}

export interface ShadowStats {
  /** Served requests offered to the evaluator. */
  offered: number;
  /** Requests run on both models. */
  samples: number;
  top1Agree: number;
  /** top1Agree / samples; null before the first sample. */
  agreement: number | null;
  /** Mean output cosine similarity; null before the first sample. */
  meanCosine: number | null;
  candidateErrors: number;
  /** Sampled requests skipped because `maxConcurrent` candidate runs were already going. */
  skippedBusy: number;
  /** Mean candidate latency (ms); null before the first sample. */
  meanLatencyMs: number | null;
}

export interface OutputComparison {
  /** Same argmax on every row of every output. */
  agree: boolean;
  /** Mean over outputs of the cosine similarity of the flattened outputs. */
  cosine: number;
  /** Candidate outputs are all finite and shaped like the base's. */
  valid: boolean;
}

function argmaxRows(t: TensorData): number[] {
  const cols = t.dims.length >= 2 ? t.dims[t.dims.length - 1]! : t.data.length;
  const rows = cols > 0 ? Math.floor(t.data.length / cols) : 0;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = r * cols;
    for (let i = best + 1; i < (r + 1) * cols; i++) if (t.data[i]! > t.data[best]!) best = i;
    out.push(best - r * cols);
  }
  return out;
}

/** Cosine similarity; two zero vectors are identical (1), one zero vector shares no direction (0). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}

/**
 * Compares a candidate's outputs with the served model's: outputs are paired by name, else by position (a
 * re-exported candidate may rename them). A candidate output of another size or with a non-finite value is invalid.
 */
export function compareOutputs(base: Record<string, TensorData>, candidate: Record<string, TensorData>): OutputComparison {
  const baseEntries = Object.entries(base);
  const candEntries = Object.entries(candidate);
  if (baseEntries.length === 0 || candEntries.length < baseEntries.length) return { agree: false, cosine: 0, valid: false };
  let agree = true;
  let cosineSum = 0;
  for (let k = 0; k < baseEntries.length; k++) {
    const [name, b] = baseEntries[k]!;
    const c = candidate[name] ?? candEntries[k]![1];
    if (c.data.length !== b.data.length) return { agree: false, cosine: 0, valid: false };
    for (const v of c.data) if (!Number.isFinite(v)) return { agree: false, cosine: 0, valid: false };
    const ab = argmaxRows(b);
    const ac = argmaxRows({ dims: b.dims, data: c.data });
    if (ab.length !== ac.length || ab.some((v, i) => v !== ac[i])) agree = false;
    cosineSum += cosineSimilarity(b.data, c.data);
  }
  return { agree, cosine: cosineSum / baseEntries.length, valid: true };
}

/**
 * Runs a candidate model beside the served one on a sample of live requests and compares their outputs. Always off
 * the request's critical path: {@link offer} only decides and schedules (the run starts on a later turn of the event
 * loop, after the response went out), runs are bounded by `maxConcurrent`, and nothing the candidate does — throw,
 * hang, emit NaN — reaches the served request.
 */
export class ShadowEvaluator {
  readonly candidate: ShadowCandidate;
  private rate: number;
  private readonly session: InferenceRunner;
  private readonly maxConcurrent: number;
  private readonly random: () => number;
  private inflight = 0;
  private disposed = false;
  private idleWaiters: (() => void)[] = [];
  private s = { offered: 0, samples: 0, top1Agree: 0, cosineSum: 0, candidateErrors: 0, skippedBusy: 0, latencySum: 0 };

  constructor(private readonly opts: ShadowEvaluatorOptions) {
    this.candidate = opts.candidate;
    this.rate = Math.max(0, Math.min(1, opts.sampleRate));
    this.session = opts.session;
    this.maxConcurrent = Math.max(1, opts.maxConcurrent ?? 1);
    this.random = opts.random ?? Math.random;
  }

  /** Share of served requests run on the candidate too (the desired state may change it without a new candidate). */
  get sampleRate(): number {
    return this.rate;
  }
  set sampleRate(rate: number) {
    this.rate = Math.max(0, Math.min(1, rate));
  }

  /**
   * A served request: with probability `sampleRate` its feeds are run on the candidate later and compared with
   * `baseOutputs`. Returns whether it was scheduled. Never throws.
   */
  offer(baseVersionId: string, feeds: Record<string, TensorData>, baseOutputs: Record<string, TensorData>): boolean {
    if (this.disposed) return false;
    this.s.offered++;
    if (this.rate <= 0 || this.random() >= this.rate) return false;
    if (this.inflight >= this.maxConcurrent) {
      this.s.skippedBusy++;
      return false;
    }
    this.inflight++;
    // A copy: an in-process caller may reuse its input buffers (camera frames) once its own call returned.
    const copy: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(feeds)) copy[name] = { dims: [...t.dims], data: t.data.slice() };
    setImmediate(() => void this.runOne(baseVersionId, copy, baseOutputs));
    return true;
  }

  private async runOne(baseVersionId: string, feeds: Record<string, TensorData>, baseOutputs: Record<string, TensorData>) {
    const started = performance.now();
    let cmp: OutputComparison;
    try {
      cmp = compareOutputs(baseOutputs, await this.session.run(feeds));
    } catch {
      cmp = { agree: false, cosine: 0, valid: false };
    }
    const latencyMs = performance.now() - started;
    try {
      this.s.samples++;
      if (cmp.agree) this.s.top1Agree++;
      this.s.cosineSum += cmp.cosine;
      if (!cmp.valid) this.s.candidateErrors++;
      this.s.latencySum += latencyMs;
      this.opts.onSample?.({ candidateVersionId: this.candidate.versionId, baseVersionId, agree: cmp.agree, cosine: cmp.cosine, error: !cmp.valid, latencyMs });
    } finally {
      this.inflight--;
      if (this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  stats(): ShadowStats {
    const { offered, samples, top1Agree, cosineSum, candidateErrors, skippedBusy, latencySum } = this.s;
    return {
      offered,
      samples,
      top1Agree,
      agreement: samples ? top1Agree / samples : null,
      meanCosine: samples ? cosineSum / samples : null,
      candidateErrors,
      skippedBusy,
      meanLatencyMs: samples ? latencySum / samples : null,
    };
  }

  /** Resolves once no candidate run is in flight. */
  idle(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Stops sampling and releases the candidate's session once its in-flight runs are done. Waits for them up to
   * `waitMs`; a run still going then (a pathological candidate) releases the session when it ends instead, so a
   * slow candidate never holds up a new assignment or the agent's shutdown.
   */
  async dispose(waitMs = 10_000): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    let timer: NodeJS.Timeout | undefined;
    const idle = this.idle();
    const settled = await Promise.race([idle.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), waitMs)))]);
    clearTimeout(timer);
    if (settled) await this.session.dispose();
    else void idle.then(() => this.session.dispose());
  }
}
