import type { DeviceDto, Page } from '@edgefleet/contracts';
import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../api/client';
import { queryKeys, useVariants } from '../api/queries';
import { parseTags } from '../lib/devices';
import { previewRollout, type RolloutFormInput } from '../lib/rollouts';
import { useDebounced } from '../lib/use-debounced';
import { ErrorBox } from './status';

const LIMIT = 200;

/**
 * Which devices of the target would receive which variant, and which would be skipped, worked out from the
 * devices and the version's variants by the API's rules (the API decides for real when the rollout starts).
 */
export function RolloutPreview({ input, versionId }: { input: RolloutFormInput; versionId: string | undefined }) {
  const group = useDebounced(input.targetKind === 'group' ? input.group.trim() : '', 300);
  // Debounce the text, not the parsed array: a new array every render would never settle.
  const tagText = useDebounced(input.targetKind === 'tags' ? input.tags : '', 300);
  const tags = parseTags(tagText);
  const incomplete = (input.targetKind === 'group' && !group) || (input.targetKind === 'tags' && tags.length === 0);
  // The API filters by one tag; the others are checked here.
  const query = { group: group || undefined, tag: tags[0], limit: LIMIT, offset: 0 };
  const devices = useQuery({
    queryKey: queryKeys.devices({ ...query, preview: true }),
    queryFn: ({ signal }) => apiFetch<Page<DeviceDto>>('/api/devices', { query, signal }),
    enabled: !incomplete,
  });
  const variants = useVariants(input.modelId, input.version);
  if (!input.modelId || !input.version || incomplete) return <p className="muted small">Choose a version and a target to see who would receive what.</p>;
  if (devices.isError) return <ErrorBox error={devices.error} />;
  if (variants.isError) return <ErrorBox error={variants.error} />;
  if (!devices.data || !variants.data) return <p className="muted small">Working out the preview…</p>;
  const matching = devices.data.items.filter((d) => tags.every((t) => d.tags.includes(t)));
  const rows = previewRollout(matching, variants.data, versionId);
  const receiving = rows.filter((r) => !r.skipReason).reduce((n, r) => n + r.devices, 0);
  return (
    <div className="preview" aria-label="rollout preview">
      <p className="small">
        <strong>{receiving}</strong> device{receiving === 1 ? '' : 's'} would receive the version
        {devices.data.total > LIMIT && <span className="muted"> (from the first {LIMIT} of {devices.data.total} devices)</span>}.
      </p>
      {rows.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Profile</th>
              <th>Devices</th>
              <th>Receives</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.profile}|${r.skipReason}`} className={r.skipReason ? 'skipped' : undefined}>
                <td>{r.profile ? <code>{r.profile}</code> : <span className="muted">none</span>}</td>
                <td>{r.devices}</td>
                <td>{r.recipe ? <code>{r.recipe}</code> : <span className="muted">skipped: {r.skipReason}</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
