import type { DeviceHistoryItem, HistoryVersion } from '@edgefleet/contracts';

export type HistoryTone = 'ok' | 'bad' | 'warn' | 'info' | 'muted';

/** How the timeline shows one history item: the sentence is `title` + `version` (a link) + `fromLabel` `fromVersion`. */
export interface HistoryLine {
  icon: string;
  tone: HistoryTone;
  title: string;
  version: HistoryVersion | null;
  /** Words before `fromVersion` ("replacing", "from", "was"); null when there is none to show. */
  fromLabel: string | null;
  fromVersion: HistoryVersion | null;
  detail: string | null;
  rolloutId: string | null;
}

export const versionLabel = (v: HistoryVersion) => `${v.modelName} v${v.number}`;
export const versionHref = (v: HistoryVersion) => `/models/${v.modelId}/versions/${v.number}`;

const line = (icon: string, tone: HistoryTone, title: string, over: Partial<HistoryLine> = {}): HistoryLine => ({
  icon,
  tone,
  title,
  version: null,
  fromLabel: null,
  fromVersion: null,
  detail: null,
  rolloutId: null,
  ...over,
});

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** `name cam-1 → cam-2; tags (none) → a, b` from an `updated` event's `{ changes: { field: { from, to } } }`. */
export function describeChanges(data: Record<string, unknown> | null): string | null {
  const changes = data?.changes;
  if (!changes || typeof changes !== 'object') return null;
  const show = (v: unknown) => (Array.isArray(v) ? (v.length ? v.join(', ') : '(none)') : v === null || v === undefined || v === '' ? '(none)' : String(v));
  const parts = Object.entries(changes as Record<string, { from?: unknown; to?: unknown }>).map(([k, c]) => `${k} ${show(c?.from)} → ${show(c?.to)}`);
  return parts.length ? parts.join('; ') : null;
}

/** A running-version change reads as what the operator wonders: a first start, an upgrade, a fall back, a stop. */
function runningChanged(item: DeviceHistoryItem & { source: 'device' }): HistoryLine {
  const { version, fromVersion } = item;
  // A version the organisation cannot see (deleted, or not its own) comes without details, but a variant was reported.
  if (!version && str(item.data?.variantId)) return line('▶', 'info', 'Now runs an unknown version');
  if (!version) return line('■', 'muted', 'Stopped running', { version: fromVersion });
  if (!fromVersion) return line('▶', 'info', 'Started running', { version });
  const back = version.modelId === fromVersion.modelId && version.number < fromVersion.number;
  return line(back ? '↩' : '▶', back ? 'warn' : 'info', back ? 'Fell back to' : 'Switched to', { version, fromLabel: 'from', fromVersion });
}

function deviceLine(item: DeviceHistoryItem & { source: 'device' }): HistoryLine {
  const d = item.data;
  switch (item.kind) {
    case 'enrolled': {
      const token = str(d?.tokenName);
      const profile = str(d?.profile);
      const detail = [token && `token “${token}”`, `profile ${profile ?? 'none matched'}`].filter(Boolean).join(' · ');
      return line('+', 'ok', 'Enrolled', { detail });
    }
    case 'assigned': {
      const by = str(d?.assignedBy);
      return line('→', 'info', 'Assigned', { version: item.version, fromLabel: item.fromVersion && 'replacing', fromVersion: item.fromVersion, detail: by && `assigned by ${by}` });
    }
    case 'unassigned':
      return line('⊘', 'muted', 'Assignment cleared', { fromLabel: item.fromVersion && 'was', fromVersion: item.fromVersion });
    case 'updated':
      return line('✎', 'muted', 'Edited', { detail: describeChanges(d) });
    case 'revoked':
      return line('✕', 'bad', 'Revoked', { detail: 'its credentials stopped working' });
    case 'running.changed':
      return runningChanged(item);
    case 'error.reported': {
      const health = str(d?.health) ?? 'failing';
      const code = str(d?.code);
      return line('⚠', health === 'failing' ? 'bad' : 'warn', `Reported ${health}`, {
        version: item.version,
        detail: [code, item.message].filter(Boolean).join(': ') || null,
      });
    }
    case 'recovered':
      return line('✓', 'ok', 'Recovered', { detail: str(d?.from) ? `healthy again (was ${str(d?.from)})` : 'healthy again' });
    default:
      return line('•', 'muted', item.kind);
  }
}

const stateName = (s: string | null) => (s ?? '?').replace(/_/g, ' ');

function rolloutLine(item: DeviceHistoryItem & { source: 'rollout' }): HistoryLine {
  const over = { version: item.version, rolloutId: item.rolloutId, detail: item.message };
  if (item.kind !== 'device') return line('⇪', 'info', `Rollout ${item.kind.replace(/[._]/g, ' ')}`, over);
  const tone: HistoryTone = item.to === 'failed' || item.to === 'rolled_back' ? 'bad' : item.to === 'running' ? 'ok' : item.to === 'skipped' ? 'muted' : 'info';
  return line('⇪', tone, `Rollout: ${stateName(item.from)} → ${stateName(item.to)}`, over);
}

export function describeHistoryItem(item: DeviceHistoryItem): HistoryLine {
  return item.source === 'rollout' ? rolloutLine(item) : deviceLine(item);
}
