import { JobName, QueueName } from '@edgefleet/contracts';
import { type Job, UnrecoverableError } from 'bullmq';

export type JobHandler = (job: Job) => Promise<unknown>;

/** Which queue each job name travels on. */
export const JOB_QUEUES: Record<JobName, QueueName> = {
  [JobName.CompressProfile]: QueueName.Compress,
  [JobName.FinalizePipeline]: QueueName.Pipelines,
  [JobName.RolloutTick]: QueueName.Rollouts,
};

/** Throws unless every job name of the contracts has a handler (so a new job name cannot ship unhandled). */
export function assertComplete(handlers: Partial<Record<string, JobHandler>>): asserts handlers is Record<JobName, JobHandler> {
  const missing = Object.values(JobName).filter((name) => typeof handlers[name] !== 'function');
  if (missing.length > 0) throw new Error(`no handler for job name(s): ${missing.join(', ')}`);
}

/** One processor per queue, dispatching on the job name. */
export function processorFor(queue: QueueName, handlers: Record<JobName, JobHandler>): JobHandler {
  return (job) => {
    const name = job.name as JobName;
    const handler = JOB_QUEUES[name] === queue ? handlers[name] : undefined;
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${queue}`);
    return handler(job);
  };
}
