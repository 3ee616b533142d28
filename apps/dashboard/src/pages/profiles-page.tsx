import { useProfiles } from '../api/queries';
import { Badge, Empty, ErrorBox, Loading } from '../components/status';
import { formatBytes, formatMs, formatPercent } from '../lib/format';
import type { HardwareProfileDto } from '@edgefleet/contracts';

export function formatBudget(budget: HardwareProfileDto['accuracyBudget']): string {
  const parts: string[] = [];
  if (budget.maxDropPoints !== undefined) parts.push(`≤ ${budget.maxDropPoints} pt drop`);
  if (budget.minAgreement !== undefined) parts.push(`≥ ${formatPercent(budget.minAgreement)} agreement`);
  return parts.length > 0 ? parts.join(', ') : '–';
}

export function ProfilesPage() {
  const profiles = useProfiles();
  return (
    <section>
      <header className="page-header">
        <h1>Hardware profiles</h1>
      </header>
      {profiles.isPending ? (
        <Loading what="profiles" />
      ) : profiles.isError ? (
        <ErrorBox error={profiles.error} retry={() => void profiles.refetch()} />
      ) : profiles.data.items.length === 0 ? (
        <Empty>No hardware profiles.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Profile</th>
                <th>Precisions</th>
                <th>Optimization</th>
                <th>Threads</th>
                <th>Max size</th>
                <th>Max latency</th>
                <th>Accuracy budget</th>
                <th>Objective</th>
              </tr>
            </thead>
            <tbody>
              {profiles.data.items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <strong>{p.name}</strong> <code>{p.slug}</code> {p.builtin && <Badge tone="muted">built-in</Badge>}
                    {p.description && <div className="muted small">{p.description}</div>}
                  </td>
                  <td>{p.precisions.join(', ')}</td>
                  <td>{p.optimizationLevel}</td>
                  <td>{p.threads}</td>
                  <td>{p.maxModelBytes === null ? 'none' : formatBytes(p.maxModelBytes)}</td>
                  <td>{p.maxLatencyMs === null ? 'none' : formatMs(p.maxLatencyMs)}</td>
                  <td>{formatBudget(p.accuracyBudget)}</td>
                  <td>{p.objective}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
