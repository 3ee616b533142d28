import type { ModelInspection } from '@edgefleet/contracts';
import { formatBytes, formatCount, formatShape } from '../lib/format';

/** Ops by count, largest first; the bar widths are relative to the most frequent op. */
export function opBars(histogram: Record<string, number>, max = 12): { op: string; count: number; share: number }[] {
  const entries = Object.entries(histogram).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const top = entries[0]?.[1] ?? 0;
  return entries.slice(0, max).map(([op, count]) => ({ op, count, share: top > 0 ? count / top : 0 }));
}

export function InspectionPanel({ inspection, title }: { inspection: ModelInspection; title: string }) {
  const bars = opBars(inspection.opHistogram);
  const hidden = Object.keys(inspection.opHistogram).length - bars.length;
  return (
    <div className="card inspection" aria-label="inspection">
      <h3>{title}</h3>
      <dl className="stats">
        <div>
          <dt>Parameters</dt>
          <dd>{formatCount(inspection.parameterCount)}</dd>
        </div>
        <div>
          <dt>Weights</dt>
          <dd>{formatBytes(inspection.initializerBytes)}</dd>
        </div>
        <div>
          <dt>MACs</dt>
          <dd title={inspection.macsNote}>{formatCount(inspection.macs)}</dd>
        </div>
        <div>
          <dt>Nodes</dt>
          <dd>{inspection.nodeCount}</dd>
        </div>
        <div>
          <dt>Opsets</dt>
          <dd>{inspection.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}</dd>
        </div>
        <div>
          <dt>Producer</dt>
          <dd>
            {inspection.producer.name} {inspection.producer.version}
          </dd>
        </div>
      </dl>
      <div className="grid-2">
        <div>
          <h4>Inputs</h4>
          <TensorList tensors={inspection.inputs} />
          <h4>Outputs</h4>
          <TensorList tensors={inspection.outputs} />
        </div>
        <div>
          <h4>Ops</h4>
          <ul className="bar-list">
            {bars.map((b) => (
              <li key={b.op}>
                <span className="bar-label">{b.op}</span>
                <span className="bar-track">
                  <span className="bar-fill" style={{ width: `${Math.max(2, b.share * 100)}%` }} />
                </span>
                <span className="bar-value">{b.count}</span>
              </li>
            ))}
          </ul>
          {hidden > 0 && <p className="muted small">and {hidden} more op types</p>}
        </div>
      </div>
    </div>
  );
}

function TensorList({ tensors }: { tensors: ModelInspection['inputs'] }) {
  return (
    <ul className="tensor-list">
      {tensors.map((t) => (
        <li key={t.name}>
          <code>{t.name}</code> <span className="muted">{t.elemType}</span> {formatShape(t.shape)}
        </li>
      ))}
    </ul>
  );
}
