import { type FormEvent, type ReactNode, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { useModels, useVersions } from '../api/queries';
import { useCreateRollout } from '../api/rollouts';
import { RolloutPreview } from '../components/rollout-preview';
import { DraftRestored, useExpiryDraft } from '../components/use-expiry-draft';
import { defaultRolloutForm, type RolloutFormInput, validateRolloutForm } from '../lib/rollouts';
import type { FieldErrors } from '../lib/validation';
import { useActorName } from '../auth/auth-context';

type Key = keyof RolloutFormInput;

export function NewRolloutPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [input, setInput] = useState<RolloutFormInput>(() => defaultRolloutForm(params.get('model') ?? '', params.get('version') ?? ''));
  const [errors, setErrors] = useState<FieldErrors<Key>>({});
  const models = useModels({ limit: 200, offset: 0 });
  const versions = useVersions(input.modelId);
  const create = useCreateRollout();
  const actor = useActorName();
  const restored = useExpiryDraft('new-rollout', input, setInput);

  const set = <K extends Key>(k: K, value: RolloutFormInput[K]) => setInput((i) => ({ ...i, [k]: value }));
  const text = (k: Key) => ({
    value: input[k] as string,
    onChange: (e: { target: { value: string } }) => set(k, e.target.value as never),
    'aria-invalid': !!errors[k],
  });
  const check = (k: Key) => ({ checked: input[k] as boolean, onChange: (e: { target: { checked: boolean } }) => set(k, e.target.checked as never) });
  const err = (k: Key) => errors[k] && <span className="field-error">{errors[k]}</span>;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateRolloutForm(input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    create.mutate({ ...result.value, createdBy: actor }, { onSuccess: (r) => void navigate(`/rollouts/${r.id}`) });
  };
  const conflict = create.error instanceof ApiError && create.error.status === 409;
  const blocking = create.error instanceof ApiError && conflict ? conflictingRollouts(create.error) : [];

  return (
    <section>
      <nav className="crumbs">
        <Link to="/rollouts">Rollouts</Link> / new
      </nav>
      <h1>New rollout</h1>
      <form className="card form" onSubmit={submit} noValidate aria-label="new rollout">
        <DraftRestored show={restored} />
        <label>
          Model
          <select
            value={input.modelId}
            onChange={(e) => setInput((i) => ({ ...i, modelId: e.target.value, version: '' }))}
            aria-invalid={!!errors.modelId}
          >
            <option value="">choose…</option>
            {models.data?.items.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
          {err('modelId')}
        </label>
        <label>
          Version
          <select {...text('version')} disabled={!input.modelId}>
            <option value="">choose…</option>
            {input.modelId &&
              versions.data?.items.map((v) => (
                <option key={v.id} value={String(v.number)}>
                  v{v.number}
                  {v.semver ? ` (${v.semver})` : ''}
                </option>
              ))}
          </select>
          {err('version')}
        </label>

        <fieldset className="wide">
          <legend>Target</legend>
          <div className="checks">
            {(['all', 'group', 'tags'] as const).map((k) => (
              <label className="check" key={k}>
                <input type="radio" name="target" checked={input.targetKind === k} onChange={() => set('targetKind', k)} />
                {k === 'all' ? 'whole fleet' : k === 'group' ? 'a group' : 'devices with tags'}
              </label>
            ))}
          </div>
          {input.targetKind === 'group' && (
            <label>
              Group
              <input {...text('group')} placeholder="plant-a" />
              {err('group')}
            </label>
          )}
          {input.targetKind === 'tags' && (
            <label>
              Tags (devices carrying all of them)
              <input {...text('tags')} placeholder="cam, eu-west" />
              {err('tags')}
            </label>
          )}
        </fieldset>

        <fieldset className="wide">
          <legend>Preview</legend>
          <RolloutPreview input={input} versionId={versions.data?.items.find((v) => String(v.number) === input.version)?.id} />
        </fieldset>

        <fieldset className="wide">
          <legend>Strategy</legend>
          <div className="checks">
            <label className="check">
              <input type="radio" name="strategy" checked={input.strategy === 'canary'} onChange={() => set('strategy', 'canary')} />
              canary waves
            </label>
            <label className="check">
              <input type="radio" name="strategy" checked={input.strategy === 'all-at-once'} onChange={() => set('strategy', 'all-at-once')} />
              all at once
            </label>
          </div>
          {input.strategy === 'canary' && (
            <div className="form">
              <label>
                Waves (cumulative %)
                <input {...text('waves')} placeholder="5, 25, 100" />
                {err('waves')}
              </label>
              <label>
                Bake time per wave (s)
                <input {...text('bakeTimeS')} inputMode="numeric" />
                {err('bakeTimeS')}
              </label>
              <label>
                Max devices per minute
                <input {...text('maxDevicesPerMinute')} inputMode="numeric" placeholder="unlimited" />
                {err('maxDevicesPerMinute')}
              </label>
            </div>
          )}
        </fieldset>

        <fieldset className="wide gates">
          <legend>Gates</legend>
          <p className="muted small">Each wave is judged against the version its devices ran before. Too little data makes a gate inconclusive: the wave waits.</p>
          <Gate title="Error rate" on={check('errorRateOn')}>
            <Num label="Max increase (points)" {...text('errorRateMaxIncreasePts')} error={errors.errorRateMaxIncreasePts} />
            <Num label="Min requests" {...text('errorRateMinRequests')} error={errors.errorRateMinRequests} />
          </Gate>
          <Gate title="p95 latency" on={check('latencyOn')}>
            <Num label="Max ratio (× baseline)" {...text('latencyMaxRatio')} error={errors.latencyMaxRatio} />
            <Num label="Min requests" {...text('latencyMinRequests')} error={errors.latencyMinRequests} />
          </Gate>
          <Gate title="Accuracy (feedback labels)" on={check('accuracyOn')}>
            <Num label="Max drop (points)" {...text('accuracyMaxDropPts')} error={errors.accuracyMaxDropPts} />
            <Num label="Min labelled" {...text('accuracyMinLabelled')} error={errors.accuracyMinLabelled} />
          </Gate>
          <Gate title="Health (probe / load failures)">
            <Num label="Max failing devices" {...text('healthMaxFailures')} error={errors.healthMaxFailures} />
          </Gate>
          <Gate title="Shadow agreement (before switching)" on={check('shadowOn')}>
            <Num label="Sample rate (%)" {...text('shadowSamplePct')} error={errors.shadowSamplePct} />
            <Num label="Min samples" {...text('shadowMinSamples')} error={errors.shadowMinSamples} />
            <Num label="Min agreement (%)" {...text('shadowMinAgreementPct')} error={errors.shadowMinAgreementPct} />
          </Gate>
          <div className="form">
            <Num label="Inconclusive for at most (s), then pause" {...text('inconclusiveTimeoutS')} error={errors.inconclusiveTimeoutS} />
          </div>
        </fieldset>

        <label className="wide">
          Note
          <input {...text('note')} placeholder="why this rollout" />
          {err('note')}
        </label>
        <label className="check wide">
          <input type="checkbox" {...check('supersede')} />
          Supersede active rollouts on the same devices (otherwise a conflict is refused)
        </label>

        {create.isError && (
          <div className="error-box wide" role="alert">
            <span>
              {conflict && <strong>Conflict: </strong>}
              {errorMessage(create.error)}
              {conflict && !input.supersede && ' — tick “Supersede” to take those devices over, or finish or abort the other rollout first.'}
              {blocking.length > 0 && (
                <>
                  {' '}
                  In the way:{' '}
                  {blocking.map((rid, i) => (
                    <span key={rid}>
                      {i > 0 && ', '}
                      <Link to={`/rollouts/${rid}`}>rollout {rid.slice(0, 8)}</Link>
                    </span>
                  ))}
                </>
              )}
            </span>
          </div>
        )}
        <div className="actions wide">
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? 'Starting…' : 'Start rollout'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The 409's `details.rolloutIds`: the active rollouts holding target devices. */
function conflictingRollouts(err: ApiError): string[] {
  const details = err.details as { rolloutIds?: unknown } | undefined;
  return Array.isArray(details?.rolloutIds) ? details.rolloutIds.filter((x): x is string => typeof x === 'string') : [];
}

function Gate({ title, on, children }: { title: string; on?: { checked: boolean; onChange: (e: { target: { checked: boolean } }) => void }; children: ReactNode }) {
  const enabled = on ? on.checked : true;
  return (
    <div className="gate">
      {on ? (
        <label className="check gate-title">
          <input type="checkbox" {...on} aria-label={title} />
          {title}
        </label>
      ) : (
        <span className="gate-title">{title}</span>
      )}
      {enabled && <div className="gate-fields">{children}</div>}
    </div>
  );
}

function Num({ label, error, ...input }: { label: string; error?: string; value: string; onChange: (e: { target: { value: string } }) => void; 'aria-invalid': boolean }) {
  return (
    <label>
      {label}
      <input {...input} inputMode="decimal" />
      {error && <span className="field-error">{error}</span>}
    </label>
  );
}
