import { JobName, QueueName } from '@edgefleet/contracts';
import { createPrismaClient } from '@edgefleet/db';
import { closeArtifactStorage, createArtifactStorage, redisConnection, SigningKey } from '@edgefleet/platform';
import { RolloutPublisher } from '@edgefleet/rollouts';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadWorkerConfig } from './config/env.js';
import { EventPublisher } from './events/event-publisher.js';
import { compressProfileJob } from './jobs/compress-profile.job.js';
import { finalizePipelineJob } from './jobs/finalize-pipeline.job.js';
import { assertComplete, type JobHandler, processorFor } from './jobs/job-registry.js';
import { CompressProfileService } from './pipeline/compress-profile.service.js';
import { FinalizePipelineService } from './pipeline/finalize-pipeline.service.js';
import { RolloutControllerService } from './rollouts/rollout-controller.service.js';
import { upsertRolloutScheduler } from './rollouts/rollout-scheduler.js';
import { rolloutTickJob } from './rollouts/rollout-tick.job.js';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { service: 'worker', pid: process.pid } });
  const db = createPrismaClient({ databaseUrl: config.databaseUrl, poolSize: Math.max(4, config.queue.concurrency * 2 + 2) });
  const storage = createArtifactStorage(config.storage);
  const signingKey = await SigningKey.load(config.signing);
  const publisher = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  publisher.on('error', (err) => logger.warn({ err }, 'event publisher redis error'));
  const events = new EventPublisher(publisher, logger);

  const rolloutPublisher = new RolloutPublisher(publisher, (err, what) => logger.warn({ err }, `could not publish a ${what}`));
  const compress = new CompressProfileService({ db, storage, signingKey, events, logger, config, desired: rolloutPublisher });
  const finalize = new FinalizePipelineService({ db, events, logger });
  const rollouts = new RolloutControllerService({ db, logger, publisher: rolloutPublisher });
  const handlers: Partial<Record<string, JobHandler>> = {
    [JobName.CompressProfile]: compressProfileJob(compress) as JobHandler,
    [JobName.FinalizePipeline]: finalizePipelineJob(finalize) as JobHandler,
    [JobName.RolloutTick]: rolloutTickJob(rollouts) as JobHandler,
  };
  assertComplete(handlers);

  const workers = [QueueName.Compress, QueueName.Pipelines, QueueName.Rollouts].map((queue) => {
    const worker = new Worker(queue, processorFor(queue, handlers), {
      connection: redisConnection(config.redisUrl, 'worker'),
      prefix: config.queue.prefix,
      // The rollout controller ticks one at a time per process (rows are locked per rollout across processes).
      concurrency: queue === QueueName.Rollouts ? 1 : config.queue.concurrency,
      stalledInterval: config.queue.stalledIntervalMs,
      lockDuration: config.queue.lockDurationMs,
    });
    worker.on('error', (err) => logger.error({ err, queue }, 'worker error'));
    worker.on('failed', (job, err) => logger.warn({ queue, jobId: job?.id, name: job?.name, attemptsMade: job?.attemptsMade, err: err.message }, 'job failed'));
    worker.on('completed', (job) => logger.debug({ queue, jobId: job.id, name: job.name }, 'job completed'));
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  await upsertRolloutScheduler(config.redisUrl, config.queue.prefix, config.rollouts.tickMs);
  logger.info({ prefix: config.queue.prefix, concurrency: config.queue.concurrency, rolloutTickMs: config.rollouts.tickMs }, 'worker ready');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    try {
      await Promise.all(workers.map((w) => w.close()));
      await publisher.quit();
      await db.$disconnect();
      closeArtifactStorage(storage);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Boot failures (bad config, missing handler, unreachable Redis) end the process with a readable line.
  process.stderr.write(`${JSON.stringify({ level: 60, msg: 'worker failed to start', err: err instanceof Error ? err.message : String(err) })}\n`);
  process.exit(1);
});
