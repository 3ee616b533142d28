import type { Page, PipelineJobDto, PipelineJobEvent, PipelineRunDto } from '@edgefleet/contracts';

const ACTIVE = new Set<PipelineRunDto['status']>(['queued', 'running']);

export function isRunActive(run: Pick<PipelineRunDto, 'status'> | null | undefined): boolean {
  return !!run && ACTIVE.has(run.status);
}

const JOB_STATUS: Record<PipelineJobEvent['type'], PipelineJobDto['status']> = {
  'job.queued': 'queued',
  'job.started': 'running',
  'job.progress': 'running',
  'job.completed': 'succeeded',
  'job.failed': 'failed',
  'job.cancelled': 'cancelled',
};

/**
 * A run with one job event applied, or the same object when the event is for another run or an
 * unknown job (the caller then refetches). Progress never moves backwards within a status, so a late
 * event cannot undo a newer poll result.
 */
export function applyJobEvent(run: PipelineRunDto, event: PipelineJobEvent): PipelineRunDto {
  if (run.id !== event.runId) return run;
  const index = run.jobs.findIndex((j) => j.id === event.pipelineJobId);
  if (index < 0) return run;
  const job = run.jobs[index]!;
  const status = JOB_STATUS[event.type];
  const finished = status === 'succeeded' || status === 'failed' || status === 'cancelled';
  if ((job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') && !finished) return run;
  const progress = status === 'succeeded' ? 1 : status === job.status ? Math.max(job.progress, event.progress) : event.progress;
  const next: PipelineJobDto = {
    ...job,
    status,
    step: event.step,
    progress,
    error: event.error ?? job.error,
    startedAt: job.startedAt ?? (status === 'running' ? event.at : null),
    finishedAt: finished ? event.at : job.finishedAt,
  };
  const jobs = run.jobs.slice();
  jobs[index] = next;
  return { ...run, status: run.status === 'queued' && status === 'running' ? 'running' : run.status, jobs };
}

/** The same event applied to a cached page of runs. */
export function applyJobEventToPage(page: Page<PipelineRunDto>, event: PipelineJobEvent): Page<PipelineRunDto> {
  let changed = false;
  const items = page.items.map((run) => {
    const next = applyJobEvent(run, event);
    if (next !== run) changed = true;
    return next;
  });
  return changed ? { ...page, items } : page;
}

/** Whether the run knows the job an event is about (otherwise the cache needs a refetch). */
export function runHasJob(run: PipelineRunDto | undefined, event: PipelineJobEvent): boolean {
  return !!run && run.id === event.runId && run.jobs.some((j) => j.id === event.pipelineJobId);
}
