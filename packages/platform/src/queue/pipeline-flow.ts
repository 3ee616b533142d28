import { type CompressProfileJobData, type FinalizePipelineJobData, JobName, QueueName } from '@edgefleet/contracts';
import type { FlowProducer, JobNode } from 'bullmq';
import { defaultJobOptions, type QueueSettings } from './queue-options.js';

export interface PipelineFlowInput {
  runId: string;
  /** One PipelineJob row id per profile child. */
  pipelineJobIds: readonly string[];
  /** BullMQ key prefix; tests use a unique one. @defaultValue 'bull' */
  prefix?: string;
  settings?: QueueSettings;
}

/** Deterministic ids: enqueuing the same run twice is a no-op in BullMQ instead of a duplicate pipeline. */
export const finalizeJobId = (runId: string) => `finalize-${runId}`;
export const compressJobId = (pipelineJobId: string) => `compress-${pipelineJobId}`;

/**
 * Adds a pipeline as a BullMQ flow: the finalize parent waits for one compress child per profile.
 * A failed child must not block its parent (the run then reports partial success), hence
 * `ignoreDependencyOnFailure`.
 */
export function addPipelineFlow(producer: FlowProducer, input: PipelineFlowInput): Promise<JobNode> {
  const opts = defaultJobOptions(input.settings);
  const prefix = input.prefix;
  const parent: FinalizePipelineJobData = { v: 1, runId: input.runId };
  return producer.add({
    name: JobName.FinalizePipeline,
    queueName: QueueName.Pipelines,
    data: parent,
    prefix,
    opts: { ...opts, jobId: finalizeJobId(input.runId) },
    children: input.pipelineJobIds.map((pipelineJobId) => {
      const data: CompressProfileJobData = { v: 1, runId: input.runId, pipelineJobId };
      return {
        name: JobName.CompressProfile,
        queueName: QueueName.Compress,
        data,
        prefix,
        opts: { ...opts, jobId: compressJobId(pipelineJobId), ignoreDependencyOnFailure: true },
      };
    }),
  });
}
