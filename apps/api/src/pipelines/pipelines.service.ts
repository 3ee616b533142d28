import { Inject, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  EVENTS_CHANNEL,
  type Page,
  type PaginationQuery,
  type PipelineRunDto,
  type PlatformEvent,
  QueueName,
  type TriggerPipelineRequest,
} from '@edgefleet/contracts';
import { Prisma } from '@edgefleet/db';
import { addPipelineFlow, compressJobId } from '@edgefleet/platform';
import { AppError } from '../common/app-error.js';
import { LOGGER, type Logger } from '../common/logger.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { PrismaService } from '../database/prisma.service.js';
import { ModelsService } from '../models/models.service.js';
import { QueuesService } from '../queues/queues.service.js';
import { RedisService } from '../redis/redis.service.js';
import { versionWhere } from '../versions/version-ref.js';
import { mapPipelineRun, RUN_INCLUDE } from './pipeline.mapper.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * How long a request waits for Redis. Producer connections queue commands until Redis is reachable, so
 * without a bound an outage would hang the request (and the upload that auto-triggers a pipeline).
 */
const REDIS_TIMEOUT_MS = 5_000;

export type PipelineTrigger = 'upload' | 'manual';
type TriggerInput = Pick<TriggerPipelineRequest, 'profiles' | 'recipes' | 'requestedBy'>;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms (is Redis reachable?)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class PipelinesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly prisma: PrismaService,
    private readonly models: ModelsService,
    private readonly queues: QueuesService,
    private readonly redis: RedisService,
  ) {}

  async trigger(orgId: string, modelId: string, versionRef: string, req: TriggerInput, trigger: PipelineTrigger): Promise<PipelineRunDto> {
    const version = await this.findVersion(orgId, modelId, versionRef);
    return this.triggerForVersion(orgId, version.id, req, trigger);
  }

  /**
   * Records the run and one job per profile, then enqueues the flow. Rows come first so the worker
   * always finds what a job names; if enqueueing fails the run is marked failed rather than left
   * queued with nothing to process it.
   */
  async triggerForVersion(orgId: string, versionId: string, req: TriggerInput, trigger: PipelineTrigger): Promise<PipelineRunDto> {
    const profiles = await this.resolveProfiles(orgId, req.profiles);
    // A nested create is one transaction in Prisma: the run never exists without its jobs.
    const run = await this.prisma.db.pipelineRun.create({
      data: {
        versionId,
        trigger,
        requestedBy: req.requestedBy ?? null,
        recipeOverrides: req.recipes ? (req.recipes as unknown as Prisma.InputJsonValue) : Prisma.DbNull,
        jobs: { create: profiles.map((p) => ({ profileId: p.id })) },
      },
      include: RUN_INCLUDE,
    });
    try {
      await withTimeout(
        addPipelineFlow(this.queues.flowProducer, {
          runId: run.id,
          pipelineJobIds: run.jobs.map((j) => j.id),
          prefix: this.config.queue.prefix,
          settings: this.config.queue.settings,
        }),
        REDIS_TIMEOUT_MS,
        'enqueueing the pipeline',
      );
      return mapPipelineRun(run);
    } catch (err) {
      // If a timed-out add lands later, the worker finds the run failed and skips it.
      this.logger.error({ err, runId: run.id }, 'could not enqueue pipeline run');
      const error = `could not enqueue: ${err instanceof Error ? err.message : String(err)}`;
      const now = new Date();
      const [, failed] = await this.prisma.db.$transaction([
        this.prisma.db.pipelineJob.updateMany({ where: { runId: run.id }, data: { status: 'failed', error, finishedAt: now } }),
        this.prisma.db.pipelineRun.update({ where: { id: run.id }, data: { status: 'failed', error, finishedAt: now }, include: RUN_INCLUDE }),
      ]);
      return mapPipelineRun(failed);
    }
  }

  async list(orgId: string, modelId: string, versionRef: string, q: PaginationQuery): Promise<Page<PipelineRunDto>> {
    const version = await this.findVersion(orgId, modelId, versionRef);
    const where = { versionId: version.id };
    const [rows, total] = await this.prisma.db.$transaction([
      this.prisma.db.pipelineRun.findMany({ where, include: RUN_INCLUDE, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      this.prisma.db.pipelineRun.count({ where }),
    ]);
    return { items: rows.map(mapPipelineRun), total, limit: q.limit, offset: q.offset };
  }

  async get(orgId: string, runId: string): Promise<PipelineRunDto> {
    return mapPipelineRun(await this.findRun(orgId, runId));
  }

  /**
   * Marks the run and its unfinished jobs cancelled, then removes the compress jobs still waiting in
   * the queue. Active jobs are left alone: the worker checks the run status between steps and stops.
   */
  async cancel(orgId: string, runId: string): Promise<PipelineRunDto> {
    await this.findRun(orgId, runId);
    const now = new Date();
    const cancelled = await this.prisma.db.$transaction(async (tx) => {
      // Conditional on the status, so a worker settling the run at the same moment wins or loses cleanly.
      const { count } = await tx.pipelineRun.updateMany({
        where: { id: runId, status: { in: ['queued', 'running'] } },
        data: { status: 'cancelled', finishedAt: now },
      });
      if (count === 0) throw new AppError(ErrorCode.PipelineNotCancellable, `pipeline ${runId} has already finished`);
      await tx.pipelineJob.updateMany({ where: { runId, status: { in: ['queued', 'running'] } }, data: { status: 'cancelled', finishedAt: now } });
      return tx.pipelineRun.findUniqueOrThrow({ where: { id: runId }, include: RUN_INCLUDE });
    });
    await this.removeWaitingJobs(cancelled.jobs.map((j) => j.id));
    const dto = mapPipelineRun(cancelled);
    await this.publish({
      channel: 'pipeline.run',
      room: `model:${dto.modelId}`,
      event: { v: 1, type: 'run.finished', modelId: dto.modelId, versionId: dto.versionId, runId, status: 'cancelled', at: now.toISOString() },
    });
    return dto;
  }

  private async removeWaitingJobs(pipelineJobIds: string[]) {
    const queue = this.queues.queues[QueueName.Compress];
    await Promise.all(
      pipelineJobIds.map(async (id) => {
        try {
          const job = await withTimeout(queue.getJob(compressJobId(id)), REDIS_TIMEOUT_MS, 'reading the queue');
          await job?.remove();
        } catch (err) {
          // Active (locked) jobs cannot be removed; the run status stops them. The rows are already cancelled.
          this.logger.debug({ err, pipelineJobId: id }, 'queue job not removed on cancel');
        }
      }),
    );
  }

  /** Events go through the same channel as the worker's, so sockets see them relayed the same way. */
  private async publish(message: PlatformEvent) {
    try {
      await withTimeout(this.redis.client.publish(EVENTS_CHANNEL, JSON.stringify(message)), REDIS_TIMEOUT_MS, 'publishing an event');
    } catch (err) {
      this.logger.warn({ err }, 'could not publish pipeline event');
    }
  }

  private async resolveProfiles(orgId: string, refs: string[] | undefined) {
    if (!refs) {
      const all = await this.prisma.db.hardwareProfile.findMany({ where: { orgId }, select: { id: true, slug: true }, orderBy: { slug: 'asc' } });
      if (all.length === 0) throw new AppError(ErrorCode.NoProfiles, 'the organization has no hardware profiles; create one first');
      return all;
    }
    const ids = refs.filter((r) => UUID.test(r)).map((r) => r.toLowerCase());
    const slugs = refs.filter((r) => !UUID.test(r));
    const found = await this.prisma.db.hardwareProfile.findMany({
      where: { orgId, OR: [{ id: { in: ids } }, { slug: { in: slugs } }] },
      select: { id: true, slug: true },
      orderBy: { slug: 'asc' },
    });
    const missing = refs.filter((r) => !found.some((p) => p.slug === r || p.id === r.toLowerCase()));
    if (missing.length > 0) throw new AppError(ErrorCode.ProfileNotFound, `profile ${missing.join(', ')} not found`, { missing });
    // `found` holds each profile once even when it was named by both slug and id.
    return found;
  }

  private async findVersion(orgId: string, modelId: string, ref: string) {
    await this.models.assertExists(orgId, modelId);
    const version = await this.prisma.db.modelVersion.findFirst({ where: versionWhere(modelId, ref), select: { id: true }, orderBy: { number: 'desc' } });
    if (!version) throw new AppError(ErrorCode.VersionNotFound, `version ${ref} of model ${modelId} not found`);
    return version;
  }

  private async findRun(orgId: string, runId: string) {
    const run = await this.prisma.db.pipelineRun.findFirst({ where: { id: runId, version: { model: { orgId } } }, include: RUN_INCLUDE });
    if (!run) throw new AppError(ErrorCode.PipelineNotFound, `pipeline ${runId} not found`);
    return run;
  }
}
