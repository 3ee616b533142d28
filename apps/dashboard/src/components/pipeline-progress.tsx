import type { PipelineRunDto } from '@edgefleet/contracts';
import { formatDate } from '../lib/format';
import { ProgressBar } from './progress-bar';
import { Badge } from './status';

const RUN_TONE: Record<PipelineRunDto['status'], 'ok' | 'bad' | 'warn' | 'info' | 'muted'> = {
  queued: 'muted',
  running: 'info',
  succeeded: 'ok',
  partial: 'warn',
  failed: 'bad',
  cancelled: 'muted',
};

export function RunStatus({ status }: { status: PipelineRunDto['status'] }) {
  return <Badge tone={RUN_TONE[status]}>{status}</Badge>;
}

/** One row per profile job: status, current step and a percentage bar. */
export function PipelineProgress({ run }: { run: PipelineRunDto }) {
  return (
    <div className="pipeline">
      <p className="muted small">
        Run {run.id.slice(0, 8)} · {run.trigger}
        {run.requestedBy ? ` by ${run.requestedBy}` : ''} · created {formatDate(run.createdAt)}
        {run.finishedAt ? ` · finished ${formatDate(run.finishedAt)}` : ''}
      </p>
      {run.error && <div className="error-box">{run.error}</div>}
      <ul className="jobs">
        {run.jobs.map((job) => (
          <li key={job.id} className="job" data-testid={`job-${job.profile.slug}`}>
            <span className="job-profile">{job.profile.slug}</span>
            <RunStatus status={job.status} />
            <span className="job-step">{job.step ?? '–'}</span>
            <ProgressBar
              value={job.status === 'succeeded' ? 1 : job.progress}
              label={`${job.profile.slug} progress`}
              tone={job.status === 'failed' ? 'danger' : job.status === 'succeeded' ? 'success' : 'default'}
            />
            {job.error && <span className="field-error job-error">{job.error}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}
