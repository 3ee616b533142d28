import {
  type GateResult,
  histogramQuantile,
  LATENCY_BUCKETS_MS,
  type RolloutGates,
  type WaveVerdict,
} from '@edgefleet/contracts';

// Re-exported: the package's public API has offered it since before it moved to contracts.
export { histogramQuantile };

/** Inference counters summed over devices and minutes; `histogram` counts over LATENCY_BUCKETS_MS. */
export interface RequestStats {
  count: number;
  errors: number;
  histogram: number[];
}

/** Feedback labels: how many arrived and how many matched the prediction. */
export interface AccuracyStats {
  labelled: number;
  correct: number;
}

/** Shadow comparisons of the candidate against what the devices serve. */
export interface ShadowStats {
  /** Devices of the wave evaluating the candidate in shadow. */
  devices: number;
  samples: number;
  top1Agree: number;
  cosineSum: number;
  candidateErrors: number;
}

/** Devices of the wave that failed to verify, load or health-check the candidate. */
export interface HealthStats {
  devices: number;
  failures: number;
  /**
   * Devices switched to the candidate, online, that have not yet reported running it (nor failed): until they do,
   * the health gate cannot pass. Offline devices are not waited for.
   * @defaultValue 0
   */
  awaiting?: number;
  /** One line per failed device, e.g. `edge-7: install/failed`. */
  details: string[];
}

/** What the gates of one wave are judged on. A null baseline: the replaced version has no figures at all. */
export interface WaveStats {
  candidate: RequestStats;
  baseline: RequestStats | null;
  candidateAccuracy: AccuracyStats;
  baselineAccuracy: AccuracyStats | null;
  health: HealthStats;
}

export const emptyRequests = (): RequestStats => ({ count: 0, errors: 0, histogram: new Array<number>(LATENCY_BUCKETS_MS.length).fill(0) });

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (x: number) => `${round(x * 100, 2)}%`;

/**
 * Error rate of the candidate against the replaced version's: fails above `baseline + maxIncrease`.
 * With no baseline the replaced version is taken as error-free, so `maxIncrease` becomes an absolute ceiling.
 */
export function errorRateGate(
  gate: NonNullable<RolloutGates['errorRate']>,
  candidate: RequestStats,
  baseline: RequestStats | null,
): GateResult {
  const base = baseline && baseline.count > 0 ? baseline.errors / baseline.count : null;
  const threshold = round((base ?? 0) + gate.maxIncrease, 6);
  const observed = candidate.count > 0 ? round(candidate.errors / candidate.count, 6) : null;
  const common = {
    gate: 'errorRate' as const,
    observed,
    baseline: base === null ? null : round(base, 6),
    threshold,
    samples: candidate.count,
  };
  if (candidate.count < gate.minRequests) {
    return {
      ...common,
      verdict: 'inconclusive',
      reason: `${candidate.count} of ${gate.minRequests} requests needed to judge the error rate`,
    };
  }
  const vs = base === null ? 'no baseline: absolute ceiling' : `baseline ${pct(base)}`;
  if (observed! > threshold) {
    return {
      ...common,
      verdict: 'fail',
      reason: `error rate ${pct(observed!)} over ${candidate.count} requests exceeds ${pct(threshold)} (${vs})`,
    };
  }
  return { ...common, verdict: 'pass', reason: `error rate ${pct(observed!)} within ${pct(threshold)} (${vs})` };
}

/** p95 latency of the candidate at most `maxRatio` × the replaced version's. Passes when there is no baseline to compare with. */
export function latencyGate(
  gate: NonNullable<RolloutGates['latencyP95']>,
  candidate: RequestStats,
  baseline: RequestStats | null,
): GateResult {
  const observed = histogramQuantile(0.95, candidate.histogram);
  const base = baseline ? histogramQuantile(0.95, baseline.histogram) : null;
  const threshold = base === null ? null : round(base * gate.maxRatio);
  const common = { gate: 'latencyP95' as const, observed, baseline: base, threshold, samples: candidate.count };
  if (candidate.count < gate.minRequests) {
    return { ...common, verdict: 'inconclusive', reason: `${candidate.count} of ${gate.minRequests} requests needed to judge latency` };
  }
  if (threshold === null) return { ...common, verdict: 'pass', reason: `p95 ${observed ?? '?'} ms; no baseline latency to compare with` };
  if (observed !== null && observed > threshold) {
    return {
      ...common,
      verdict: 'fail',
      reason: `p95 latency ${observed} ms exceeds ${threshold} ms (${gate.maxRatio} × baseline ${base} ms)`,
    };
  }
  return { ...common, verdict: 'pass', reason: `p95 latency ${observed} ms within ${threshold} ms` };
}

/** Field accuracy from feedback labels: may drop at most `maxDrop` below the replaced version's. Passes without a baseline. */
export function accuracyGate(
  gate: NonNullable<RolloutGates['accuracy']>,
  candidate: AccuracyStats,
  baseline: AccuracyStats | null,
): GateResult {
  const observed = candidate.labelled > 0 ? round(candidate.correct / candidate.labelled, 6) : null;
  const base = baseline && baseline.labelled > 0 ? round(baseline.correct / baseline.labelled, 6) : null;
  const threshold = base === null ? null : round(base - gate.maxDrop, 6);
  const common = { gate: 'accuracy' as const, observed, baseline: base, threshold, samples: candidate.labelled };
  if (candidate.labelled < gate.minLabelled) {
    return {
      ...common,
      verdict: 'inconclusive',
      reason: `${candidate.labelled} of ${gate.minLabelled} labelled predictions needed to judge accuracy`,
    };
  }
  if (threshold === null) return { ...common, verdict: 'pass', reason: `accuracy ${pct(observed!)}; no baseline accuracy to compare with` };
  if (observed! < threshold) {
    return {
      ...common,
      verdict: 'fail',
      reason: `accuracy ${pct(observed!)} on ${candidate.labelled} labels is below ${pct(threshold)} (baseline ${pct(base!)} − ${pct(gate.maxDrop)})`,
    };
  }
  return { ...common, verdict: 'pass', reason: `accuracy ${pct(observed!)} within ${pct(gate.maxDrop)} of baseline ${pct(base!)}` };
}

/**
 * Devices that failed to verify, load or health-check the candidate: more than `maxFailures` fails. Inconclusive
 * while online devices have yet to report running it (a wave cannot pass on devices that have not installed it).
 */
export function healthGate(gate: RolloutGates['health'], health: HealthStats, candidateLabel = 'the candidate'): GateResult {
  const common = {
    gate: 'health' as const,
    observed: health.failures,
    baseline: null,
    threshold: gate.maxFailures,
    samples: health.devices,
  };
  if (health.failures > gate.maxFailures) {
    const shown = health.details.slice(0, 5).join('; ') + (health.details.length > 5 ? `; … ${health.details.length - 5} more` : '');
    return {
      ...common,
      verdict: 'fail',
      reason: `${health.failures} device(s) failed ${candidateLabel} (at most ${gate.maxFailures} allowed): ${shown}`,
    };
  }
  if ((health.awaiting ?? 0) > 0) {
    return {
      ...common,
      verdict: 'inconclusive',
      reason: `${health.awaiting} of ${health.devices} device(s) have not reported running ${candidateLabel} yet`,
    };
  }
  return {
    ...common,
    verdict: 'pass',
    reason: `${health.failures} of ${health.devices} device(s) failed (at most ${gate.maxFailures} allowed)`,
  };
}

/**
 * Shadow agreement (same top-1) of the candidate with the served model. A wave with no device able to shadow
 * (none serves a model yet) passes: there is nothing to compare with.
 */
export function shadowGate(gate: NonNullable<RolloutGates['shadow']>, shadow: ShadowStats): GateResult {
  const observed = shadow.samples > 0 ? round(shadow.top1Agree / shadow.samples, 6) : null;
  const common = { gate: 'shadow' as const, observed, baseline: null, threshold: gate.minAgreement, samples: shadow.samples };
  if (shadow.devices === 0) return { ...common, verdict: 'pass', reason: 'no device of the wave serves a model to compare with' };
  if (shadow.samples < gate.minSamples) {
    return {
      ...common,
      verdict: 'inconclusive',
      reason: `${shadow.samples} of ${gate.minSamples} shadow samples needed to judge agreement`,
    };
  }
  const cosine = round(shadow.cosineSum / shadow.samples, 4);
  if (observed! < gate.minAgreement) {
    return {
      ...common,
      verdict: 'fail',
      reason: `shadow agreement ${pct(observed!)} over ${shadow.samples} samples is below ${pct(gate.minAgreement)} (mean cosine ${cosine}, ${shadow.candidateErrors} candidate errors)`,
    };
  }
  return {
    ...common,
    verdict: 'pass',
    reason: `shadow agreement ${pct(observed!)} over ${shadow.samples} samples (mean cosine ${cosine})`,
  };
}

/** Any fail fails; else any inconclusive is inconclusive; else pass. */
export function combine(results: readonly GateResult[], at: Date): WaveVerdict {
  const verdict = results.some((r) => r.verdict === 'fail')
    ? 'fail'
    : results.some((r) => r.verdict === 'inconclusive')
      ? 'inconclusive'
      : 'pass';
  return { verdict, gates: [...results], at: at.toISOString() };
}

/** Every enabled gate but shadow (judged before the switch), at the end of the bake time. */
export function judgeWave(gates: RolloutGates, stats: WaveStats, at: Date, candidateLabel?: string): WaveVerdict {
  const results: GateResult[] = [healthGate(gates.health, stats.health, candidateLabel)];
  if (gates.errorRate) results.push(errorRateGate(gates.errorRate, stats.candidate, stats.baseline));
  if (gates.latencyP95) results.push(latencyGate(gates.latencyP95, stats.candidate, stats.baseline));
  if (gates.accuracy) results.push(accuracyGate(gates.accuracy, stats.candidateAccuracy, stats.baselineAccuracy));
  return combine(results, at);
}

/**
 * The gates judged continuously, during shadow and bake alike, so a bad version stops within seconds: health
 * (any failure over the limit) and the error rate once enough requests arrived. Returns the failed ones only.
 */
export function failFast(
  gates: RolloutGates,
  stats: Pick<WaveStats, 'candidate' | 'baseline' | 'health'>,
  candidateLabel?: string,
): GateResult[] {
  const out: GateResult[] = [];
  const health = healthGate(gates.health, stats.health, candidateLabel);
  if (health.verdict === 'fail') out.push(health);
  if (gates.errorRate) {
    const errors = errorRateGate(gates.errorRate, stats.candidate, stats.baseline);
    if (errors.verdict === 'fail') out.push(errors);
  }
  return out;
}
