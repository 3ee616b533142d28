import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { candidateRecipes, type CompressProgress, compressForProfile, isCompressError, type ProfileResult } from '@edgefleet/compress';
import type { CompressProfileJobData, PipelineJobEvent, PipelineStep, VariantManifest } from '@edgefleet/contracts';
import type { Prisma, PrismaClient } from '@edgefleet/db';
import { type ArtifactStorage, contentKey, type SigningKey } from '@edgefleet/platform';
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { WorkerConfig } from '../config/env.js';
import type { EventPublisher } from '../events/event-publisher.js';
import { overallProgress, recipeOverrides, toCompressProfile, toPipelineStep } from './profile-mapping.js';
import { ProgressTracker } from './progress-tracker.js';
import { buildProbe, type VariantProbe } from './variant-probe.js';

/** Raised inside compress's progress callback (or before storing) once the run is cancelled. */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  constructor() {
    super('pipeline run cancelled');
  }
}

export interface PipelineDeps {
  db: PrismaClient;
  storage: ArtifactStorage;
  signingKey: SigningKey;
  events: EventPublisher;
  logger: Logger;
  config: WorkerConfig;
  /** Tells the API's device channels that these devices' desired state may have changed (RolloutPublisher). */
  desired: { desiredChanged(deviceIds: readonly string[]): Promise<void> };
}

/** Which BullMQ attempt this is: the last one marks the job failed instead of leaving it for a retry. */
export interface AttemptInfo {
  attemptsMade: number;
  maxAttempts: number;
}

export type CompressOutcome = 'succeeded' | 'cancelled';

const PROGRESS_INTERVAL_MS = 250;

async function loadJob(db: PrismaClient, pipelineJobId: string) {
  return db.pipelineJob.findUnique({
    where: { id: pipelineJobId },
    include: { profile: true, run: { include: { version: { include: { model: true, artifact: true } } } } },
  });
}
type LoadedJob = NonNullable<Awaited<ReturnType<typeof loadJob>>>;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const toJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * One profile of a pipeline run: download the original and the model's datasets, compress with the
 * profile's (or the run's) recipes, then store, sign and record every variant idempotently: variants are
 * keyed by (version, profile, recipe) and blobs by content, so retries and re-runs replace rather than add.
 */
export class CompressProfileService {
  constructor(private readonly deps: PipelineDeps) {}

  async run(data: CompressProfileJobData, attempt: AttemptInfo): Promise<CompressOutcome> {
    const { db, logger } = this.deps;
    const job = await loadJob(db, data.pipelineJobId);
    if (!job) throw new UnrecoverableError(`pipeline job ${data.pipelineJobId} not found`);
    const log = logger.child({ runId: job.runId, pipelineJobId: job.id, profile: job.profile.slug });

    if (job.run.status === 'cancelled') {
      await this.markCancelled(job);
      return 'cancelled';
    }
    await this.markRunning(job);

    const workDir = path.join(this.deps.config.dataDir, 'tmp', `pipeline-job-${job.id}`);
    // A crashed earlier attempt of this job may have left its directory; only this attempt holds the job's lock.
    await fsp.rm(workDir, { recursive: true, force: true });
    await fsp.mkdir(workDir, { recursive: true });
    const tracker = new ProgressTracker(
      PROGRESS_INTERVAL_MS,
      (p) => this.publishProgress(job, p.step, p.progress),
      () => this.runCancelled(job.runId),
    );
    try {
      const started = Date.now();
      const { result, dataset } = await this.compress(job, workDir, tracker);
      if (tracker.cancelled || (await this.runCancelled(job.runId))) throw new JobCancelledError();
      const probes = await this.probes(result, dataset, log);
      await this.store(job, result, workDir, probes);
      log.info({ ms: Date.now() - started, variants: result.variants.length, recommended: result.recommended }, 'profile compressed');
      return 'succeeded';
    } catch (err) {
      await tracker.stop();
      if (err instanceof JobCancelledError || tracker.cancelled) {
        log.info('run cancelled; job stopped');
        await this.markCancelled(job);
        return 'cancelled';
      }
      if (isCompressError(err)) {
        // The model's or the recipe's fault: retrying cannot help.
        log.warn({ err }, 'compression failed');
        await this.markFailed(job, err.message);
        throw new UnrecoverableError(err.message);
      }
      const last = attempt.attemptsMade + 1 >= attempt.maxAttempts;
      log.error({ err, attempt: attempt.attemptsMade + 1, of: attempt.maxAttempts }, last ? 'job failed, no attempts left' : 'job failed, will retry');
      if (last) await this.markFailed(job, message(err));
      else await db.pipelineJob.update({ where: { id: job.id }, data: { status: 'queued', step: 'queued', error: message(err) } });
      throw err;
    } finally {
      await tracker.stop();
      await fsp.rm(workDir, { recursive: true, force: true });
    }
  }

  /** Probe inputs and outputs per variant (by recipe id) for the signed manifests; see buildProbe. */
  private async probes(result: ProfileResult, dataset: string | undefined, log: Logger): Promise<Map<string, VariantProbe>> {
    const probes = new Map<string, VariantProbe>();
    for (const variant of result.variants) {
      try {
        const probe = await buildProbe(variant.model, variant.recipe.precision, dataset);
        if (probe) probes.set(variant.recipe.id, probe);
      } catch (err) {
        // The variant was already evaluated; one that cannot be probed ships without a probe rather than failing the job.
        if (!isCompressError(err)) throw err;
        log.warn({ err, recipe: variant.recipe.id }, 'no probe for variant');
      }
    }
    return probes;
  }

  private async compress(job: LoadedJob, workDir: string, tracker: ProgressTracker): Promise<{ result: ProfileResult; dataset: string | undefined }> {
    const { db, storage } = this.deps;
    const version = job.run.version;
    const download = async (key: string, name: string) => {
      const file = path.join(workDir, name);
      await pipeline(await storage.read(key), fs.createWriteStream(file));
      return file;
    };
    const newest = (purpose: 'calibration' | 'evaluation') =>
      db.dataset.findFirst({ where: { modelId: version.modelId, purpose }, orderBy: { createdAt: 'desc' }, include: { artifact: true } });
    const [calibrationRow, evaluationRow] = await Promise.all([newest('calibration'), newest('evaluation')]);
    const modelPath = await download(version.artifact.storageKey, 'model.onnx');
    const calibration = calibrationRow ? await download(calibrationRow.artifact.storageKey, 'calibration.npz') : undefined;
    const evaluation = evaluationRow ? await download(evaluationRow.artifact.storageKey, 'evaluation.npz') : undefined;

    const profile = toCompressProfile(job.profile);
    const recipes = recipeOverrides(job.run.recipeOverrides) ?? candidateRecipes(profile, { hasCalibration: calibration !== undefined });
    const onProgress = (p: CompressProgress) => {
      // Throwing here unwinds compress between (or inside) recipe steps.
      if (tracker.cancelled) throw new JobCancelledError();
      const index = recipes.findIndex((r) => r.id === p.recipe);
      tracker.report({ step: toPipelineStep(p.step), progress: overallProgress(index, recipes.length, p.step, p.done, p.total) });
    };
    tracker.start();
    const result = await compressForProfile(
      modelPath,
      profile,
      { calibration, evaluation },
      { recipes, maxEvalSamples: this.deps.config.evaluation.maxSamples, onProgress },
    );
    await tracker.stop();
    return { result, dataset: evaluation ?? calibration };
  }

  private async store(job: LoadedJob, result: ProfileResult, workDir: string, probes: ReadonlyMap<string, VariantProbe>): Promise<void> {
    const { db, storage, signingKey } = this.deps;
    const version = job.run.version;
    await this.update(job, { step: 'store', progress: 0.96 }, 'job.progress');

    // Blobs first (content-addressed, so a retry re-puts the same keys as a no-op), rows after.
    const fresh: string[] = [];
    const blobs: { variant: ProfileResult['variants'][number]; sha: string; key: string; bytes: number }[] = [];
    for (const variant of result.variants) {
      const sha = sha256(variant.model);
      const key = contentKey(sha);
      if ((await storage.size(key)) === null) {
        const temp = path.join(workDir, `${randomBytes(6).toString('hex')}.onnx`);
        await fsp.writeFile(temp, variant.model);
        await storage.putFile(temp, key);
        fresh.push(key);
      }
      blobs.push({ variant, sha, key, bytes: variant.model.byteLength });
    }

    const replacedKeys: string[] = [];
    try {
      await db.$transaction(async (tx) => {
        // Serializes against a cancel: the API's UPDATE of the run waits for this row lock, or wins before it.
        const [run] = await tx.$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM pipeline_runs WHERE id = ${job.runId}::uuid FOR UPDATE`;
        if (!run || run.status === 'cancelled') throw new JobCancelledError();
        const now = new Date();
        for (const { variant, sha, key, bytes } of blobs) {
          const probe = probes.get(variant.recipe.id);
          const manifest: VariantManifest = {
            v: 1,
            model: { id: version.model.id, name: version.model.name },
            version: { id: version.id, number: version.number },
            profile: job.profile.slug,
            recipe: variant.recipe.id,
            artifact: { sha256: sha, bytes, format: 'onnx' },
            createdAt: now.toISOString(),
            ...(probe ? { probe } : {}),
          };
          const fields = {
            runId: job.runId,
            recipe: toJson(variant.recipe),
            precision: variant.recipe.precision,
            evaluation: toJson(variant.evaluation),
            reports: toJson(variant.reports),
            verdict: variant.verdict.status,
            verdictReasons: variant.verdict.status === 'failed' ? [...variant.verdict.reasons] : [],
            judgedOn: variant.judgedOn,
            onParetoFront: variant.onParetoFront,
            recommended: variant.recommended,
            manifest: toJson(manifest),
            signature: signingKey.sign(manifest),
          };
          const artifactFields = { storageKey: key, sha256: sha, byteSize: BigInt(bytes) };
          const unique = { versionId: version.id, profileId: job.profileId, recipeId: variant.recipe.id };
          const existing = await tx.variant.findUnique({ where: { versionId_profileId_recipeId: unique }, include: { artifact: true } });
          if (existing) {
            if (existing.artifact.storageKey !== key) replacedKeys.push(existing.artifact.storageKey);
            await tx.artifact.update({ where: { id: existing.artifactId }, data: artifactFields });
            await tx.variant.update({ where: { id: existing.id }, data: fields });
          } else {
            const artifact = await tx.artifact.create({ data: { orgId: version.model.orgId, kind: 'variant', format: 'onnx', ...artifactFields } });
            await tx.variant.create({ data: { ...unique, artifactId: artifact.id, ...fields } });
          }
        }
        if (result.recommended) {
          // One recommendation per (version, profile), even when an earlier run recommended another recipe.
          await tx.variant.updateMany({
            where: { versionId: version.id, profileId: job.profileId, recipeId: { not: result.recommended } },
            data: { recommended: false },
          });
        }
        await tx.pipelineJob.update({ where: { id: job.id }, data: { status: 'succeeded', step: 'done', progress: 1, error: null, finishedAt: now } });
      });
    } catch (err) {
      await this.releaseUnreferenced(fresh);
      throw err;
    }
    await this.releaseUnreferenced(replacedKeys);
    await this.announceToDevices(job);
    await this.publish(job, 'job.completed', 'done', 1);
  }

  /**
   * Devices that run or shadow this version on this profile may now have a variant to install, or another one (a
   * re-run recommends differently): they hear it now rather than at their next poll.
   */
  private async announceToDevices(job: LoadedJob): Promise<void> {
    try {
      const rows = await this.deps.db.$queryRaw<{ id: string }[]>`
        SELECT d.id::text AS id FROM devices d JOIN device_assignments a ON a.device_id = d.id
        WHERE d.profile_id = ${job.profileId}::uuid AND d.revoked_at IS NULL
          AND (a.version_id = ${job.run.version.id}::uuid OR a.shadow_version_id = ${job.run.version.id}::uuid)`;
      await this.deps.desired.desiredChanged(rows.map((r) => r.id));
    } catch (err) {
      // The variants are stored; the devices still find them at their next poll.
      this.deps.logger.warn({ err, pipelineJobId: job.id }, 'could not announce new variants to devices');
    }
  }

  /** Deletes blobs no artifact row points at (after the transaction that stopped using them). */
  private async releaseUnreferenced(keys: readonly string[]): Promise<void> {
    for (const key of new Set(keys)) {
      try {
        if ((await this.deps.db.artifact.count({ where: { storageKey: key } })) === 0) await this.deps.storage.delete(key);
      } catch (err) {
        this.deps.logger.warn({ err, key }, 'could not release blob');
      }
    }
  }

  private async runCancelled(runId: string): Promise<boolean> {
    const run = await this.deps.db.pipelineRun.findUnique({ where: { id: runId }, select: { status: true } });
    return !run || run.status === 'cancelled';
  }

  private async markRunning(job: LoadedJob): Promise<void> {
    const { db, events } = this.deps;
    const now = new Date();
    await db.pipelineJob.update({
      where: { id: job.id },
      data: { status: 'running', step: 'download', progress: 0, error: null, attempts: { increment: 1 }, startedAt: now, finishedAt: null },
    });
    const { count } = await db.pipelineRun.updateMany({
      where: { id: job.runId, status: { in: ['queued', 'succeeded', 'partial', 'failed'] } },
      data: { status: 'running', startedAt: job.run.startedAt ?? now, finishedAt: null },
    });
    if (count > 0) {
      await events.run({ type: 'run.started', modelId: job.run.version.modelId, versionId: job.run.versionId, runId: job.runId, status: 'running' });
    }
    await this.publish(job, 'job.started', 'download', 0);
  }

  private async publishProgress(job: LoadedJob, step: PipelineStep, progress: number): Promise<void> {
    await this.update(job, { step, progress }, 'job.progress');
  }

  /** Updates the row while the job is still running (a cancel or a newer attempt wins), then publishes. */
  private async update(job: LoadedJob, data: { step: PipelineStep; progress: number }, type: PipelineJobEvent['type']): Promise<void> {
    await this.deps.db.pipelineJob.updateMany({ where: { id: job.id, status: 'running' }, data });
    await this.publish(job, type, data.step, data.progress);
  }

  private async markCancelled(job: LoadedJob): Promise<void> {
    const row = await this.deps.db.pipelineJob.update({
      where: { id: job.id },
      data: { status: 'cancelled', finishedAt: new Date() },
    });
    await this.publish(job, 'job.cancelled', row.step ?? 'queued', row.progress);
  }

  private async markFailed(job: LoadedJob, error: string): Promise<void> {
    const row = await this.deps.db.pipelineJob.update({ where: { id: job.id }, data: { status: 'failed', error, finishedAt: new Date() } });
    await this.publish(job, 'job.failed', row.step ?? 'queued', row.progress, error);
  }

  private publish(job: LoadedJob, type: PipelineJobEvent['type'], step: string, progress: number, error?: string): Promise<void> {
    return this.deps.events.job({
      type,
      modelId: job.run.version.modelId,
      versionId: job.run.versionId,
      runId: job.runId,
      pipelineJobId: job.id,
      profile: job.profile.slug,
      step,
      progress,
      error,
    });
  }
}
