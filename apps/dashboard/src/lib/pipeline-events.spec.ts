import { describe, expect, it } from 'vitest';
import { jobEvent, newJob, newRun } from '../test/factories';
import { applyJobEvent, applyJobEventToPage, isRunActive } from './pipeline-events';

describe(applyJobEvent.name, () => {
  it('moves the job to the event step and progress, and the run to running', () => {
    const job = newJob('cpu');
    const other = newJob('gpu');
    const run = newRun([job, other]);
    const next = applyJobEvent(run, jobEvent(run, job, { type: 'job.progress', step: 'quantize', progress: 0.4 }));
    expect(next.status).toBe('running');
    expect(next.jobs[0]).toMatchObject({ status: 'running', step: 'quantize', progress: 0.4 });
    expect(next.jobs[1]).toBe(other);
    expect(run.jobs[0]!.progress).toBe(0); // not mutated
  });

  it('ignores a late event that would undo a finished job, and other runs', () => {
    const job = newJob('cpu', { status: 'succeeded', progress: 1 });
    const run = newRun([job], { status: 'running' });
    expect(applyJobEvent(run, jobEvent(run, job, { type: 'job.progress', progress: 0.2 }))).toBe(run);
    expect(applyJobEvent(run, { ...jobEvent(run, job), runId: 'other' })).toBe(run);
  });

  it('never moves progress backwards within a status, and completes at 100%', () => {
    const job = newJob('cpu', { status: 'running', progress: 0.6 });
    const run = newRun([job], { status: 'running' });
    expect(applyJobEvent(run, jobEvent(run, job, { progress: 0.3 })).jobs[0]!.progress).toBe(0.6);
    const done = applyJobEvent(run, jobEvent(run, job, { type: 'job.completed', step: 'done', progress: 0.99 }));
    expect(done.jobs[0]).toMatchObject({ status: 'succeeded', progress: 1, finishedAt: expect.any(String) });
  });

  it('patches a cached page only where the run matches', () => {
    const job = newJob('cpu');
    const run = newRun([job]);
    const page = { items: [run, newRun([newJob('gpu')])], total: 2, limit: 10, offset: 0 };
    const next = applyJobEventToPage(page, jobEvent(run, job));
    expect(next.items[0]!.jobs[0]!.status).toBe('running');
    expect(next.items[1]).toBe(page.items[1]);
    expect(applyJobEventToPage(page, { ...jobEvent(run, job), runId: 'nope' })).toBe(page);
  });

  it('treats queued and running runs as active', () => {
    expect(isRunActive(newRun([], { status: 'running' }))).toBe(true);
    expect(isRunActive(newRun([], { status: 'partial' }))).toBe(false);
    expect(isRunActive(undefined)).toBe(false);
  });
});
