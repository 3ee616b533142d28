import type { DeviceDto } from '@edgefleet/contracts';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { errorMessage } from '../api/client';
import { useAssignDevice, useDevice, useRevokeDevice, useUnassignDevice, useUpdateDevice, useDeviceTelemetry, useVersionIndex } from '../api/fleet';
import { useModels, useProfiles, useVersions } from '../api/queries';
import { ConfirmDialog } from '../components/confirm-dialog';
import { AssignmentCell, DeviceStatusBadge, HealthBadge, RunningCell } from '../components/device-bits';
import { DeviceHistoryCard } from '../components/device-history';
import { ErrorBox, failedEmpty, Loading, StaleNote } from '../components/status';
import { TelemetryCharts, WindowSelector } from '../components/telemetry-charts';
import { RelativeTime } from '../components/time';
import { type DeviceEditInput, factRows, validateDeviceEdit } from '../lib/devices';
import { formatBytes, formatDate } from '../lib/format';
import type { TelemetryWindow } from '../lib/telemetry';
import type { FieldErrors } from '../lib/validation';
import { useCan } from '../auth/auth-context';
import { DraftRestored, useExpiryDraft } from '../components/use-expiry-draft';

export function DeviceDetailPage() {
  const { id = '' } = useParams();
  const device = useDevice(id);
  const models = useModels({ limit: 200, offset: 0 });
  const modelMap = useMemo(() => new Map((models.data?.items ?? []).map((m) => [m.id, m])), [models.data]);
  const versionIndex = useVersionIndex(device.data?.assignment ? [device.data.assignment.modelId] : [], device.data?.running ? [device.data.running.versionId] : []);
  const revoke = useRevokeDevice(id);
  const [confirmRevoke, setConfirmRevoke] = useState(false);
  const canWrite = useCan('device:write');

  if (device.isPending) return <Loading what="device" />;
  if (failedEmpty(device)) return <ErrorBox error={device.error} retry={() => void device.refetch()} />;
  const d = device.data;

  return (
    <section>
      <nav className="crumbs">
        <Link to="/devices">Devices</Link> / {d.name}
      </nav>
      <StaleNote query={device} />
      <header className="page-header">
        <div>
          <h1>
            {d.name} <DeviceStatusBadge status={d.status} /> <HealthBadge health={d.health} />
          </h1>
          <p className="muted">
            group <strong>{d.group}</strong> · profile {d.profile ? <code>{d.profile.slug}</code> : 'none'} · last seen <RelativeTime iso={d.lastSeenAt} /> · enrolled{' '}
            {formatDate(d.createdAt)}
          </p>
        </div>
        <div className="actions">
          {d.status !== 'revoked' && canWrite && (
            <button type="button" className="danger" onClick={() => setConfirmRevoke(true)}>
              Revoke
            </button>
          )}
        </div>
      </header>
      {d.revokedAt && <div className="error-box">Revoked {formatDate(d.revokedAt)}: this device can no longer call the API.</div>}

      <div className="grid-2">
        <div className="card">
          <h3>Facts</h3>
          <dl className="facts" aria-label="facts">
            {factRows(d.facts, (n) => formatBytes(n)).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </div>
        <div className="card">
          <h3>State</h3>
          <dl className="facts" aria-label="state">
            <div>
              <dt>Running</dt>
              <dd>
                <RunningCell device={d} models={modelMap} versions={versionIndex} />
              </dd>
            </div>
            <div>
              <dt>Assigned</dt>
              <dd>
                <AssignmentCell device={d} models={modelMap} />
                {d.assignment?.assignedBy && <span className="muted small"> by {d.assignment.assignedBy}</span>}
              </dd>
            </div>
            <div>
              <dt>Tags</dt>
              <dd>{d.tags.length ? d.tags.map((t) => <code key={t} className="tag">{t}</code>) : '–'}</dd>
            </div>
            <div>
              <dt>Last error</dt>
              <dd>
                {d.lastError ? (
                  <span className="last-error" aria-label="last error">
                    <code>{d.lastError.code}</code> {d.lastError.message} <span className="muted small">({<RelativeTime iso={d.lastError.at} />})</span>
                  </span>
                ) : (
                  <span className="muted">none</span>
                )}
              </dd>
            </div>
          </dl>
        </div>
      </div>

      {d.status !== 'revoked' && canWrite && (
        <div className="grid-2">
          <AssignForm device={d} />
          <EditDeviceForm device={d} />
        </div>
      )}

      <DeviceTelemetry device={d} />

      <DeviceHistoryCard deviceId={d.id} />

      {confirmRevoke && (
        <ConfirmDialog
          title={`Revoke ${d.name}?`}
          message="Its credentials stop working at once; the agent must enroll again with a new token to come back."
          confirmLabel="Revoke device"
          danger
          busy={revoke.isPending}
          error={revoke.isError ? errorMessage(revoke.error) : null}
          onCancel={() => {
            revoke.reset();
            setConfirmRevoke(false);
          }}
          onConfirm={() => revoke.mutate(undefined, { onSuccess: () => setConfirmRevoke(false) })}
        />
      )}
    </section>
  );
}

function AssignForm({ device }: { device: DeviceDto }) {
  const models = useModels({ limit: 200, offset: 0 });
  const [modelId, setModelId] = useState(device.assignment?.modelId ?? '');
  const versions = useVersions(modelId);
  const [version, setVersion] = useState(device.assignment ? String(device.assignment.versionNumber) : '');
  const [error, setError] = useState<string | null>(null);
  const assign = useAssignDevice(device.id);
  const unassign = useUnassignDevice(device.id);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!modelId || !version) {
      setError('choose a model and a version');
      return;
    }
    setError(null);
    assign.mutate({ modelId, version: Number(version), assignedBy: 'dashboard' });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="assign version">
      <h3 className="wide">Assign a version</h3>
      <p className="muted small wide">Sets this device's desired version by hand; the agent switches to the variant of its profile.</p>
      <label>
        Model
        <select
          value={modelId}
          onChange={(e) => {
            setModelId(e.target.value);
            setVersion('');
          }}
        >
          <option value="">choose…</option>
          {models.data?.items.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Version
        <select value={version} onChange={(e) => setVersion(e.target.value)} disabled={!modelId}>
          <option value="">choose…</option>
          {modelId &&
            versions.data?.items.map((v) => (
              <option key={v.id} value={String(v.number)}>
                v{v.number}
                {v.semver ? ` (${v.semver})` : ''}
              </option>
            ))}
        </select>
      </label>
      {error && <span className="field-error wide">{error}</span>}
      {(assign.isError || unassign.isError) && (
        <div className="error-box wide" role="alert">
          {errorMessage(assign.error ?? unassign.error)}
        </div>
      )}
      {assign.isSuccess && !assign.isPending && <p className="ok small wide" role="status">Assigned.</p>}
      <div className="actions wide">
        {device.assignment && (
          <button type="button" onClick={() => unassign.mutate(undefined)} disabled={unassign.isPending}>
            Clear assignment
          </button>
        )}
        <button type="submit" className="primary" disabled={assign.isPending}>
          {assign.isPending ? 'Assigning…' : 'Assign'}
        </button>
      </div>
    </form>
  );
}

const editInput = (d: DeviceDto): DeviceEditInput => ({ name: d.name, group: d.group, tags: d.tags.join(', '), profile: d.profile?.slug ?? '' });

function EditDeviceForm({ device }: { device: DeviceDto }) {
  const profiles = useProfiles();
  const update = useUpdateDevice(device.id);
  const [input, setInput] = useState<DeviceEditInput>(() => editInput(device));
  const [errors, setErrors] = useState<FieldErrors<keyof DeviceEditInput>>({});
  const [dirty, setDirty] = useState(false);
  const restored = useExpiryDraft(`edit-device:${device.id}`, dirty ? input : null, (draft) => {
    if (!draft) return;
    setInput(draft);
    setDirty(true);
  });
  // Polling refreshes the device; keep the form in step until the operator starts editing.
  useEffect(() => {
    if (!dirty) setInput(editInput(device));
  }, [device, dirty]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateDeviceEdit(device, input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    if (!result.value) {
      setDirty(false);
      return;
    }
    update.mutate(result.value, { onSuccess: () => setDirty(false) });
  };
  const set = (k: keyof DeviceEditInput) => (e: { target: { value: string } }) => {
    setDirty(true);
    setInput({ ...input, [k]: e.target.value });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="edit device">
      <DraftRestored show={restored} />
      <h3 className="wide">Edit</h3>
      <label>
        Name
        <input value={input.name} onChange={set('name')} aria-invalid={!!errors.name} />
        {errors.name && <span className="field-error">{errors.name}</span>}
      </label>
      <label>
        Group
        <input value={input.group} onChange={set('group')} aria-invalid={!!errors.group} />
        {errors.group && <span className="field-error">{errors.group}</span>}
      </label>
      <label>
        Tags
        <input value={input.tags} onChange={set('tags')} aria-invalid={!!errors.tags} />
        {errors.tags && <span className="field-error">{errors.tags}</span>}
      </label>
      <label>
        Profile
        <select value={input.profile} onChange={set('profile')}>
          <option value="">automatic (matched from facts)</option>
          {profiles.data?.items.map((p) => (
            <option key={p.id} value={p.slug}>
              {p.slug}
            </option>
          ))}
        </select>
      </label>
      {update.isError && (
        <div className="error-box wide" role="alert">
          {errorMessage(update.error)}
        </div>
      )}
      <div className="actions wide">
        <button type="submit" className="primary" disabled={update.isPending || !dirty}>
          {update.isPending ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

/** The device's own telemetry, across the versions it ran in the window. */
function DeviceTelemetry({ device }: { device: DeviceDto }) {
  const [window, setWindow] = useState<TelemetryWindow>('1h');
  const telemetry = useDeviceTelemetry(device.id, window);
  return (
    <>
      <h2>
        Telemetry <WindowSelector value={window} onChange={setWindow} />
      </h2>
      <p className="muted small">This device&apos;s requests, errors, latency and field accuracy, whatever version it ran.</p>
      {telemetry.isPending ? (
        <Loading what="telemetry" />
      ) : failedEmpty(telemetry) ? (
        <ErrorBox error={telemetry.error} retry={() => void telemetry.refetch()} />
      ) : (
        <TelemetryCharts data={telemetry.data} window={window} />
      )}
    </>
  );
}
