import type { FinalizePipelineJobData } from '@edgefleet/contracts';
import type { PrismaClient } from '@edgefleet/db';
import type { Logger } from 'pino';
import type { EventPublisher } from '../events/event-publisher.js';

export type RunStatus = 'succeeded' | 'partial' | 'failed' | 'cancelled';

/** Runs once every profile child has finished (or failed): settles the run from its jobs' rows. */
export class FinalizePipelineService {
  constructor(private readonly deps: { db: PrismaClient; events: EventPublisher; logger: Logger }) {}

  async run(data: FinalizePipelineJobData): Promise<RunStatus | null> {
    const { db, events, logger } = this.deps;
    const run = await db.pipelineRun.findUnique({ where: { id: data.runId }, include: { jobs: true, version: { select: { modelId: true } } } });
    if (!run) {
      logger.warn({ runId: data.runId }, 'finalize: run not found');
      return null;
    }
    const now = new Date();
    // A child BullMQ gave up on without our handler recording it (e.g. stalled too often) is failed.
    const unsettled = run.jobs.filter((j) => j.status === 'queued' || j.status === 'running');
    if (unsettled.length > 0) {
      await db.pipelineJob.updateMany({
        where: { id: { in: unsettled.map((j) => j.id) }, status: { in: ['queued', 'running'] } },
        data: run.status === 'cancelled' ? { status: 'cancelled', finishedAt: now } : { status: 'failed', error: 'the worker lost the job', finishedAt: now },
      });
    }
    let status: RunStatus;
    if (run.status === 'cancelled') status = 'cancelled';
    else {
      const succeeded = run.jobs.filter((j) => j.status === 'succeeded').length;
      status = succeeded === run.jobs.length && succeeded > 0 ? 'succeeded' : succeeded > 0 ? 'partial' : 'failed';
    }
    // The cancel may land meanwhile; it wins.
    const { count } = await db.pipelineRun.updateMany({
      where: { id: run.id, status: status === 'cancelled' ? 'cancelled' : { not: 'cancelled' } },
      data: { status, finishedAt: run.finishedAt && status === 'cancelled' ? run.finishedAt : now },
    });
    if (count === 0) status = 'cancelled';
    logger.info({ runId: run.id, status }, 'run finished');
    await events.run({ type: 'run.finished', modelId: run.version.modelId, versionId: run.versionId, runId: run.id, status });
    return status;
  }
}
