import type { VariantDto } from '@edgefleet/contracts';
import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { formatBytes, formatPercent } from '../lib/format';
import { paretoFront } from '../lib/pareto';
import { variantMetrics } from '../lib/variants';

export interface ChartPoint {
  x: number;
  y: number;
  id: string;
  label: string;
}

/** Variants that have both a size and a quality figure, as chart points, with the front among them. */
export function chartData(variants: readonly VariantDto[]): { points: ChartPoint[]; front: ChartPoint[]; qualityLabel: string } {
  const points: ChartPoint[] = [];
  let agreement = false;
  for (const v of variants) {
    const m = variantMetrics(v);
    if (m.quality === null) continue;
    if (m.qualityKind === 'agreement') agreement = true;
    points.push({ x: m.bytes, y: m.quality, id: v.id, label: `${v.profile.slug} · ${v.recipe.id}` });
  }
  return { points, front: paretoFront(points), qualityLabel: agreement ? 'accuracy / agreement' : 'accuracy' };
}

export function VariantsChart({ variants }: { variants: readonly VariantDto[] }) {
  const { points, front, qualityLabel } = chartData(variants);
  if (points.length === 0) return <p className="muted">No variant has a quality figure to plot yet.</p>;
  const frontIds = new Set(front.map((p) => p.id));
  const others = points.filter((p) => !frontIds.has(p.id));
  // Profiles often share a variant (same bytes, same quality): one marker per spot keeps the front line simple.
  const frontLine = front.filter((p, i) => i === 0 || p.x !== front[i - 1]!.x || p.y !== front[i - 1]!.y);
  return (
    <div className="chart" aria-label="size versus quality">
      <ResponsiveContainer width="100%" height={300}>
        <ScatterChart margin={{ top: 10, right: 20, bottom: 20, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" dataKey="x" name="size" tickFormatter={(v: number) => formatBytes(v, 0)} domain={['auto', 'auto']} />
          <YAxis type="number" dataKey="y" name={qualityLabel} tickFormatter={(v: number) => formatPercent(v, 1)} domain={['auto', 'auto']} />
          <Tooltip
            formatter={(value, name) => (name === 'size' ? formatBytes(Number(value)) : formatPercent(Number(value)))}
            labelFormatter={() => ''}
          />
          <Legend />
          <Scatter name="variants" data={others} fill="#94a3b8" isAnimationActive={false} />
          <Scatter name="Pareto front" data={frontLine} fill="#2563eb" line={{ stroke: '#2563eb', strokeWidth: 2 }} lineType="joint" isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
