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

/** What the device runs, told against its assignment (the only place the API names a version number). */
export function RunningCell({ device, models }: { device: DeviceDto; models: ReadonlyMap<string, Pick<ModelDto, 'name'>> }) {
  const { running, assignment } = device;
  if (!running) return <span className="muted">nothing</span>;
  if (assignment && running.versionId === assignment.versionId) {
    return (
      <Link to={`/models/${assignment.modelId}/versions/${assignment.versionNumber}`}>
        {modelLabel(models, assignment.modelId)} v{assignment.versionNumber}
      </Link>
    );
  }
  return (
    <span title={running.versionId}>
      version <code>{running.versionId.slice(0, 8)}</code>
      {assignment && <span className="muted small"> (switching)</span>}
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
