import type { CompressProfileJobData } from '@edgefleet/contracts';
import type { Job } from 'bullmq';
import type { CompressOutcome, CompressProfileService } from '../pipeline/compress-profile.service.js';

export function compressProfileJob(service: CompressProfileService) {
  return (job: Job<CompressProfileJobData>): Promise<CompressOutcome> =>
    service.run(job.data, { attemptsMade: job.attemptsMade, maxAttempts: job.opts.attempts ?? 1 });
}
