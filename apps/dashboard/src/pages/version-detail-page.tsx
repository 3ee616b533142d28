import type { VariantDto } from '@edgefleet/contracts';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { errorMessage } from '../api/client';
import { usePipelineEvents } from '../api/events';
import { useCancelPipeline, useModel, usePipelineRun, usePipelines, useProfiles, useVariants, useVersion, variantDownloadUrl } from '../api/queries';
import { PipelineProgress, RunStatus } from '../components/pipeline-progress';
import { RerunForm } from '../components/rerun-form';
import { Badge, Empty, ErrorBox, failedEmpty, Loading, StaleNote } from '../components/status';
import { VariantsChart } from '../components/variants-chart';
import { useRollouts } from '../api/rollouts';
import { formatBytes, formatDate, formatMs, formatPercent, formatRatio } from '../lib/format';
import { describeStrategy, describeTarget, sortRollouts } from '../lib/rollouts';
import { RolloutStatusBadge } from '../components/rollout-status';
import { isRunActive } from '../lib/pipeline-events';
import { groupVariantsByProfile, variantMetrics } from '../lib/variants';
import { useCan } from '../auth/auth-context';

export function VersionDetailPage() {
  const { id = '', v = '' } = useParams();
  const version = useVersion(id, v);
  const model = useModel(id);
  const variants = useVariants(id, v);
  const profiles = useProfiles();
  const runs = usePipelines(id, v);
  const latestRunId = runs.data?.items[0]?.id;
  const run = usePipelineRun(latestRunId);
  const live = usePipelineEvents(id);
  const cancel = useCancelPipeline(id, v);
  const [rerunOpen, setRerunOpen] = useState(false);
  const canPipeline = useCan('pipeline:write');
  const canRollout = useCan('rollout:write');
  const [chartProfile, setChartProfile] = useState<string>('');

  const groups = useMemo(() => groupVariantsByProfile(variants.data ?? [], profiles.data?.items ?? []), [variants.data, profiles.data]);
  const chartVariants = useMemo(() => (variants.data ?? []).filter((x) => !chartProfile || x.profile.slug === chartProfile), [variants.data, chartProfile]);

  if (version.isPending) return <Loading what="version" />;
  if (failedEmpty(version)) return <ErrorBox error={version.error} retry={() => void version.refetch()} />;
  const ver = version.data;
  const currentRun = run.data ?? runs.data?.items[0];
  const running = isRunActive(currentRun);

  const onCancel = () => {
    if (currentRun && window.confirm('Cancel this pipeline run? Finished profiles keep their variants.')) cancel.mutate(currentRun.id);
  };

  return (
    <section>
      <nav className="crumbs">
        <Link to="/models">Models</Link> / <Link to={`/models/${id}`}>{model.data?.name ?? 'model'}</Link> / v{ver.number}
      </nav>
      <StaleNote query={version} />
      <header className="page-header">
        <div>
          <h1>
            Version {ver.number}
            {ver.semver ? ` (${ver.semver})` : ''}
          </h1>
          <p className="muted">
            original {formatBytes(ver.artifact.byteSize)} · {ver.inspection.graphName || 'graph'} · <span className={`live live-${live}`}>{live === 'live' ? '● live' : live}</span>
          </p>
        </div>
        <div className="actions">
          {running && currentRun && canPipeline && (
            <button type="button" className="danger" onClick={onCancel} disabled={cancel.isPending}>
              {cancel.isPending ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
          <Link className="button" to={`/models/${id}/versions/${v}/telemetry`}>
            Telemetry
          </Link>
          {canRollout && (
            <Link className="button" to={`/rollouts/new?model=${id}&version=${ver.number}`}>
              Roll out
            </Link>
          )}
          {canPipeline && (
            <button type="button" className="primary" onClick={() => setRerunOpen((o) => !o)} aria-expanded={rerunOpen}>
              Re-run
            </button>
          )}
        </div>
      </header>
      {cancel.isError && <ErrorBox error={cancel.error} />}
      {rerunOpen && canPipeline && <RerunForm modelId={id} v={v} profiles={profiles.data?.items ?? []} onDone={() => setRerunOpen(false)} />}

      <h2>
        Pipeline {currentRun && <RunStatus status={currentRun.status} />}
      </h2>
      {runs.isPending ? (
        <Loading what="pipeline runs" />
      ) : failedEmpty(runs) ? (
        <ErrorBox error={runs.error} retry={() => void runs.refetch()} />
      ) : !currentRun ? (
        <Empty>No pipeline has run for this version yet.</Empty>
      ) : (
        <PipelineProgress run={currentRun} />
      )}

      <VersionRollouts modelId={id} versionId={ver.id} />

      <h2>Variants</h2>
      {variants.isPending ? (
        <Loading what="variants" />
      ) : failedEmpty(variants) ? (
        <ErrorBox error={variants.error} retry={() => void variants.refetch()} />
      ) : (
        <>
          {profiles.isError && <p className="muted small">Profiles could not be loaded ({errorMessage(profiles.error)}); showing profiles that have variants.</p>}
          {groups.length === 0 && <Empty>No variants yet.</Empty>}
          {groups.map((g) => (
            <div className="card profile-group" key={g.slug}>
              <h3>
                {g.profile?.name ?? g.slug} <code>{g.slug}</code>
              </h3>
              {g.variants.length === 0 ? (
                <p className="muted small">{running ? 'Compressing…' : 'No variants for this profile.'}</p>
              ) : (
                <VariantsTable variants={g.variants} originalBytes={ver.artifact.byteSize} />
              )}
            </div>
          ))}
          {(variants.data?.length ?? 0) > 0 && (
            <div className="card">
              <div className="page-header">
                <h3>Size vs quality</h3>
                <label className="inline">
                  Profile{' '}
                  <select value={chartProfile} onChange={(e) => setChartProfile(e.target.value)}>
                    <option value="">all</option>
                    {groups
                      .filter((g) => g.variants.length > 0)
                      .map((g) => (
                        <option key={g.slug} value={g.slug}>
                          {g.slug}
                        </option>
                      ))}
                  </select>
                </label>
              </div>
              <VariantsChart variants={chartVariants} />
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** Rollouts of this version (the API lists them per model), newest first, active ones first. */
function VersionRollouts({ modelId, versionId }: { modelId: string; versionId: string }) {
  const rollouts = useRollouts({ modelId, limit: 50, offset: 0 });
  const mine = sortRollouts((rollouts.data?.items ?? []).filter((r) => r.version.id === versionId));
  if (rollouts.isPending || (rollouts.isSuccess && mine.length === 0)) return null;
  return (
    <>
      <h2>Rollouts</h2>
      {rollouts.isError ? (
        <ErrorBox error={rollouts.error} retry={() => void rollouts.refetch()} />
      ) : (
        <ul className="rollout-links" aria-label="rollouts of this version">
          {mine.map((r) => (
            <li key={r.id}>
              <RolloutStatusBadge status={r.status} /> <Link to={`/rollouts/${r.id}`}>{describeTarget(r.target)}</Link>{' '}
              <span className="muted small">
                {describeStrategy(r.strategy)} · started {formatDate(r.createdAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function VariantsTable({ variants, originalBytes }: { variants: VariantDto[]; originalBytes: number }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Recipe</th>
            <th>Size</th>
            <th>Ratio</th>
            <th>Median latency</th>
            <th>Quality</th>
            <th>Verdict</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {variants.map((variant) => {
            const m = variantMetrics(variant, originalBytes);
            return (
              <tr key={variant.id} className={variant.recommended ? 'recommended' : undefined}>
                <td>
                  {variant.recommended && (
                    <span className="star" title="recommended" aria-label="recommended">
                      ★{' '}
                    </span>
                  )}
                  <code>{variant.recipe.id}</code> <span className="muted small">{variant.precision}</span>
                  {variant.onParetoFront && <Badge tone="info">front</Badge>}
                </td>
                <td>{formatBytes(m.bytes)}</td>
                <td>{formatRatio(m.sizeRatio)}</td>
                <td>{formatMs(m.medianLatencyMs)}</td>
                <td>
                  {formatPercent(m.quality)} <span className="muted small">{m.qualityKind}</span>
                </td>
                <td>
                  <Badge tone={variant.verdict.status === 'passed' ? 'ok' : 'bad'}>{variant.verdict.status}</Badge>
                  {variant.verdict.reasons.length > 0 && (
                    <ul className="reasons">
                      {variant.verdict.reasons.map((r) => (
                        <li key={r}>{r}</li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>
                  <a href={variantDownloadUrl(variant)} download>
                    Download
                  </a>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
