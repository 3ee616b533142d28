import type { RolloutStatus } from '@edgefleet/contracts';
import { ROLLOUT_TONE } from '../lib/rollouts';
import { Badge } from './status';

export function RolloutStatusBadge({ status }: { status: RolloutStatus }) {
  return <Badge tone={ROLLOUT_TONE[status]}>{status.replace('_', ' ')}</Badge>;
}
