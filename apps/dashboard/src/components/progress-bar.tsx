export interface ProgressBarProps {
  /** 0..1, or null for an indeterminate bar. */
  value: number | null;
  label: string;
  tone?: 'default' | 'success' | 'danger';
}

export function ProgressBar({ value, label, tone = 'default' }: ProgressBarProps) {
  const pct = value === null ? null : Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div className={`progress progress-${tone}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined}>
      <div className={pct === null ? 'progress-fill indeterminate' : 'progress-fill'} style={pct === null ? undefined : { width: `${pct}%` }} />
      <span className="progress-text">{pct === null ? '…' : `${pct}%`}</span>
    </div>
  );
}
