import { JobName, QueueName } from '@edgefleet/contracts';
import { redisConnection } from '@edgefleet/platform';
import { Queue } from 'bullmq';

export const ROLLOUT_SCHEDULER_ID = 'rollout-controller';

/**
 * Registers (or updates) the one job scheduler that ticks the rollout controller every `everyMs`. Idempotent:
 * every worker process upserts the same scheduler id, so a fleet of workers still ticks once per interval.
 */
export async function upsertRolloutScheduler(redisUrl: string, prefix: string, everyMs: number): Promise<void> {
  const queue = new Queue(QueueName.Rollouts, { connection: redisConnection(redisUrl, 'producer'), prefix });
  try {
    await queue.upsertJobScheduler(
      ROLLOUT_SCHEDULER_ID,
      { every: everyMs },
      { name: JobName.RolloutTick, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  } finally {
    await queue.close();
  }
}
