import type { Job } from 'bullmq';
import type { RolloutControllerService, TickSummary } from './rollout-controller.service.js';

/** Payload of the repeatable `rollout.tick`: nothing; the state lives in the database. */
export type RolloutTickJobData = Record<string, never>;

export function rolloutTickJob(controller: RolloutControllerService) {
  return (_job: Job<RolloutTickJobData>): Promise<TickSummary> => controller.tick();
}
