import type { DeviceDto, ModelDto } from '@edgefleet/contracts';
import { Link } from 'react-router';
import { HEALTH_TONE, STATUS_TONE } from '../lib/devices';
import { Badge } from './status';

export function DeviceStatusBadge({ status }: { status: DeviceDto['status'] }) {
  return <Badge tone={STATUS_TONE[status]}>{status}</Badge>;
}

export function HealthBadge({ health }: { health: DeviceDto['health'] }) {
  if (!health) return <span className="muted">–</span>;
  return <Badge tone={HEALTH_TONE[health]}>{health}</Badge>;
}

/** "lenet v3": the model's name when known (from the models list), else a short id. */
export function modelLabel(models: ReadonlyMap<string, Pick<ModelDto, 'name'>>, modelId: string): string {
  return models.get(modelId)?.name ?? `model ${modelId.slice(0, 8)}`;
}

/**
 * What the device runs: its version id resolved through `versions` (the assigned model's versions), so a device
 * still on the previous version during a rollout reads "lenet v1" rather than an id.
 */
export function RunningCell({
  device,
  models,
  versions,
}: {
  device: DeviceDto;
  models: ReadonlyMap<string, Pick<ModelDto, 'name'>>;
  versions: ReadonlyMap<string, { modelId: string; number: number }>;
}) {
  const { running, assignment } = device;
  if (!running) return <span className="muted">nothing</span>;
  const v = versions.get(running.versionId);
  const switching = assignment && running.versionId !== assignment.versionId;
  return (
    <span>
      {v ? (
        <Link to={`/models/${v.modelId}/versions/${v.number}`}>
          {modelLabel(models, v.modelId)} v{v.number}
        </Link>
      ) : (
        <span title={running.versionId}>
          version <code>{running.versionId.slice(0, 8)}</code>
        </span>
      )}
      {switching && <span className="muted small"> (switching)</span>}
    </span>
  );
}

export function AssignmentCell({ device, models }: { device: DeviceDto; models: ReadonlyMap<string, Pick<ModelDto, 'name'>> }) {
  const a = device.assignment;
  if (!a) return <span className="muted">none</span>;
  return (
    <span>
      <Link to={`/models/${a.modelId}/versions/${a.versionNumber}`}>
        {modelLabel(models, a.modelId)} v{a.versionNumber}
      </Link>{' '}
      <Badge tone={a.source === 'rollout' ? 'info' : 'muted'}>{a.source}</Badge>
    </span>
  );
}
