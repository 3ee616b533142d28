import { useEffect, useState } from 'react';
import { formatDate } from '../lib/format';
import { formatCountdown, formatRelative } from '../lib/time';

/** The current time, updated every `ms`, so relative times and countdowns move on their own. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function RelativeTime({ iso }: { iso: string | null | undefined }) {
  const now = useNow(5000);
  return (
    <time dateTime={iso ?? undefined} title={iso ? formatDate(iso) : undefined}>
      {formatRelative(iso, now)}
    </time>
  );
}

export function Countdown({ until }: { until: string }) {
  const now = useNow(1000);
  const left = Date.parse(until) - now;
  return <span className="countdown">{left > 0 ? `${formatCountdown(left)} left` : 'bake time over'}</span>;
}
