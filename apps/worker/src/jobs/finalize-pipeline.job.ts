import type { FinalizePipelineJobData } from '@edgefleet/contracts';
import type { Job } from 'bullmq';
import type { FinalizePipelineService, RunStatus } from '../pipeline/finalize-pipeline.service.js';

export function finalizePipelineJob(service: FinalizePipelineService) {
  return (job: Job<FinalizePipelineJobData>): Promise<RunStatus | null> => service.run(job.data);
}
