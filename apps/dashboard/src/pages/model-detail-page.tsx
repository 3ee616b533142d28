import type { ModelVersionDto } from '@edgefleet/contracts';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useDatasets, useModel, useVersions, versionDownloadUrl } from '../api/queries';
import { InspectionPanel } from '../components/inspection-panel';
import { Badge, ErrorBox, failedEmpty, Loading, StaleNote } from '../components/status';
import { ListStates } from '../components/list-states';
import { UploadDatasetForm } from '../components/upload-dataset-form';
import { UploadVersionForm } from '../components/upload-version-form';
import { formatBytes, formatCount, formatDate } from '../lib/format';
import { useCan } from '../auth/auth-context';

export function ModelDetailPage() {
  const { id = '' } = useParams();
  const model = useModel(id);
  const versions = useVersions(id);
  const datasets = useDatasets(id);
  const [selected, setSelected] = useState<ModelVersionDto | null>(null);
  const canWrite = useCan('model:write');

  if (model.isPending) return <Loading what="model" />;
  if (failedEmpty(model)) return <ErrorBox error={model.error} retry={() => void model.refetch()} />;
  const m = model.data;
  const inspected = selected ?? versions.data?.items[0] ?? null;

  return (
    <section>
      <nav className="crumbs">
        <Link to="/models">Models</Link> / {m.name}
      </nav>
      <StaleNote query={model} />
      <header className="page-header">
        <div>
          <h1>{m.name}</h1>
          <p className="muted">
            {m.task} · {m.labels.length} labels · created {formatDate(m.createdAt)}
          </p>
          {m.description && <p>{m.description}</p>}
        </div>
      </header>

      {canWrite && (
        <div className="grid-2">
          <UploadVersionForm modelId={id} onUploaded={setSelected} />
          <UploadDatasetForm modelId={id} />
        </div>
      )}

      <h2>Versions</h2>
      <ListStates query={versions} what="versions" empty="No versions yet: upload an .onnx file above.">
        {(page) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Semver</th>
                  <th>Size</th>
                  <th>Params</th>
                  <th>Status</th>
                  <th>Uploaded</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {page.items.map((v) => (
                  <tr key={v.id} className={inspected?.id === v.id ? 'selected' : undefined}>
                    <td>
                      <Link to={`/models/${id}/versions/${v.number}`}>v{v.number}</Link>
                    </td>
                    <td>{v.semver ?? '–'}</td>
                    <td>{formatBytes(v.artifact.byteSize)}</td>
                    <td>{formatCount(v.inspection.parameterCount)}</td>
                    <td>
                      <Badge tone={v.status === 'ready' ? 'ok' : 'muted'}>{v.status}</Badge>
                    </td>
                    <td>{formatDate(v.createdAt)}</td>
                    <td className="row-actions">
                      <button type="button" className="link-button" onClick={() => setSelected(v)}>
                        Inspect
                      </button>
                      <a href={versionDownloadUrl(id, v.number)} download>
                        Download
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListStates>
      {inspected && <InspectionPanel inspection={inspected.inspection} title={`Inspection of v${inspected.number}${inspected.semver ? ` (${inspected.semver})` : ''}`} />}

      <h2>Datasets</h2>
      <ListStates query={datasets} what="datasets" empty="No datasets: without one, pipelines judge variants on synthetic inputs.">
        {(page) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Purpose</th>
                  <th>Samples</th>
                  <th>Labels</th>
                  <th>Arrays</th>
                  <th>Size</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((d) => (
                  <tr key={d.id}>
                    <td>{d.name}</td>
                    <td>{d.purpose}</td>
                    <td>{d.sampleCount}</td>
                    <td>{d.hasLabels ? 'yes' : 'no'}</td>
                    <td>{d.arrays.map((a) => `${a.name} ${a.dtype}[${a.shape.join('×')}]`).join(', ')}</td>
                    <td>{formatBytes(d.artifact.byteSize)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListStates>
    </section>
  );
}
