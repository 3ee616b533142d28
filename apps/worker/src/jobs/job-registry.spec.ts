import { JobName, QueueName } from '@edgefleet/contracts';
import { type Job, UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { assertComplete, type JobHandler, processorFor } from './job-registry.js';

const ok: JobHandler = async (job) => job.name;

describe('job registry', () => {
  it('refuses to boot when a contracts job name has no handler', () => {
    expect(() => assertComplete({ [JobName.CompressProfile]: ok })).toThrow(/no handler for job name\(s\): pipeline\.finalize, rollout\.tick/);
    expect(() => assertComplete({ [JobName.CompressProfile]: ok, [JobName.FinalizePipeline]: ok, [JobName.RolloutTick]: ok })).not.toThrow();
  });

  it('dispatches by name within the queue and rejects jobs of another queue unrecoverably', async () => {
    const handlers = { [JobName.CompressProfile]: ok, [JobName.FinalizePipeline]: ok, [JobName.RolloutTick]: ok };
    const compress = processorFor(QueueName.Compress, handlers);
    await expect(compress({ name: JobName.CompressProfile } as Job)).resolves.toBe(JobName.CompressProfile);
    expect(() => compress({ name: JobName.FinalizePipeline } as Job)).toThrow(UnrecoverableError);
    expect(() => compress({ name: 'nope' } as Job)).toThrow(UnrecoverableError);
  });
});
