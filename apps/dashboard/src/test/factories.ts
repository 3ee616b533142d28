import type { ModelDto, PipelineJobDto, PipelineJobEvent, PipelineRunDto, RolloutDto, RolloutEventDto, VariantDto } from '@edgefleet/contracts';

let seq = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
const NOW = '2026-01-01T00:00:00.000Z';

export function newModel(over: Partial<ModelDto> = {}): ModelDto {
  return {
    id: uuid(),
    name: `model-${seq}`,
    task: 'image-classification',
    description: null,
    labels: ['cat', 'dog'],
    preprocessing: null,
    versionCount: 1,
    latestVersion: 1,
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  };
}

export function newVariant(over: { slug?: string; recipe?: string; bytes?: number; top1?: number | null; agreement?: number | null; judgedOn?: VariantDto['verdict']['judgedOn']; recommended?: boolean; latency?: number } = {}): VariantDto {
  const bytes = over.bytes ?? 1000;
  const id = uuid();
  return {
    id,
    versionId: 'v-1',
    profile: { id: `p-${over.slug ?? 'cpu'}`, slug: over.slug ?? 'cpu' },
    recipe: { id: over.recipe ?? `r${seq}`, precision: 'int8', steps: [{ name: 'int8-dynamic' }] },
    precision: 'int8',
    artifact: { id: uuid(), kind: 'variant', format: 'onnx', byteSize: bytes, sha256: 'a'.repeat(64), downloadUrl: `/api/artifacts/${id}/download`, createdAt: NOW },
    evaluation: {
      v: 1,
      size: { bytes, gzipBytes: bytes },
      accuracy: over.top1 === null ? null : { top1: over.top1 ?? 0.9, top5: null, labeled: 100 },
      fidelity: over.agreement === null || over.agreement === undefined ? null : { top1Agreement: over.agreement, meanCosine: 0.99, maxAbsDiff: 0.1, samples: 100 },
      latencyMs: { median: over.latency ?? 2.5, p95: 3, mean: 2.6, runs: 50, batch: 1, threads: 1 },
    },
    verdict: { status: 'passed', reasons: [], judgedOn: over.judgedOn ?? 'labels' },
    onParetoFront: false,
    recommended: over.recommended ?? false,
    manifest: {},
    signature: 'sig',
    createdAt: NOW,
  };
}

export function newJob(slug: string, over: Partial<PipelineJobDto> = {}): PipelineJobDto {
  return { id: uuid(), profile: { id: uuid(), slug }, status: 'queued', step: 'queued', progress: 0, attempts: 0, error: null, startedAt: null, finishedAt: null, ...over };
}

export function newRun(jobs: PipelineJobDto[], over: Partial<PipelineRunDto> = {}): PipelineRunDto {
  return {
    id: uuid(),
    modelId: 'm-1',
    versionId: 'v-1',
    versionNumber: 1,
    status: 'queued',
    trigger: 'manual',
    requestedBy: null,
    error: null,
    jobs,
    createdAt: NOW,
    startedAt: null,
    finishedAt: null,
    ...over,
  };
}

export function jobEvent(run: PipelineRunDto, job: PipelineJobDto, over: Partial<PipelineJobEvent> = {}): PipelineJobEvent {
  return { v: 1, type: 'job.progress', modelId: run.modelId, versionId: run.versionId, runId: run.id, pipelineJobId: job.id, profile: job.profile.slug, step: 'quantize', progress: 0.5, at: NOW, ...over };
}

/** A Response-like JSON answer for a stubbed fetch. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A full per-state count record (the API sends every state) from the non-zero ones. */
export function rolloutCounts(some: Partial<RolloutDto['counts']>): RolloutDto['counts'] {
  return { pending: 0, shadow: 0, assigned: 0, running: 0, failed: 0, rolled_back: 0, skipped: 0, ...some };
}

export function newRollout(over: Partial<RolloutDto> = {}): RolloutDto {
  return {
    id: uuid(),
    model: { id: 'm-1', name: 'lenet' },
    version: { id: uuid(), number: 2, semver: null },
    target: { group: 'plant-a' },
    strategy: { kind: 'canary', waves: [10, 100], bakeTimeS: 600 },
    gates: {
      errorRate: { maxIncrease: 0.02, minRequests: 50 },
      latencyP95: { maxRatio: 1.5, minRequests: 50 },
      accuracy: null,
      health: { maxFailures: 0 },
      shadow: null,
      inconclusiveTimeoutS: 1800,
    },
    status: 'running',
    currentWave: 0,
    waves: [
      { index: 0, percent: 10, devices: 1, phase: 'pending', startedAt: null, switchedAt: null, bakeUntil: null, verdict: null },
      { index: 1, percent: 100, devices: 9, phase: 'pending', startedAt: null, switchedAt: null, bakeUntil: null, verdict: null },
    ],
    counts: rolloutCounts({ pending: 10 }),
    reason: null,
    note: null,
    createdBy: 'ops',
    createdAt: NOW,
    updatedAt: NOW,
    finishedAt: null,
    ...over,
  };
}

export function newRolloutEvent(id: number, over: Partial<RolloutEventDto> = {}): RolloutEventDto {
  return { id: String(id), at: NOW, actor: 'system', kind: 'created', deviceId: null, from: null, to: 'running', reason: null, data: null, ...over };
}
