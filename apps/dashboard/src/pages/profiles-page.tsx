import type { HardwareProfileDto } from '@edgefleet/contracts';
import { type FormEvent, useState } from 'react';
import { useProfiles, useUpdateProfile } from '../api/queries';
import { useCan } from '../auth/auth-context';
import { Field, SubmitRow } from '../components/form-bits';
import { Badge } from '../components/status';
import { ListStates } from '../components/list-states';
import { formatBytes, formatMs, formatPercent } from '../lib/format';
import { PRECISIONS, type ProfileFormInput, profileFormInput, validateProfileForm } from '../lib/profiles';
import type { FieldErrors } from '../lib/validation';

export function formatBudget(budget: HardwareProfileDto['accuracyBudget']): string {
  const parts: string[] = [];
  if (budget.maxDropPoints !== undefined) parts.push(`≤ ${budget.maxDropPoints} pt drop`);
  if (budget.minAgreement !== undefined) parts.push(`≥ ${formatPercent(budget.minAgreement)} agreement`);
  return parts.length > 0 ? parts.join(', ') : '–';
}

export function ProfilesPage() {
  const profiles = useProfiles();
  const canEdit = useCan('profile:write');
  const [editing, setEditing] = useState<string | null>(null);
  const editedProfile = profiles.data?.items.find((p) => p.slug === editing);
  return (
    <section>
      <header className="page-header">
        <h1>Hardware profiles</h1>
      </header>
      {editedProfile && canEdit && <EditProfileForm key={editedProfile.slug} profile={editedProfile} onDone={() => setEditing(null)} />}
      <ListStates query={profiles} what="profiles" empty="No hardware profiles.">
        {(page) => (
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
                  {canEdit && <th />}
                </tr>
              </thead>
              <tbody>
                {page.items.map((p) => (
                  <tr key={p.id} data-testid={`profile-${p.slug}`}>
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
                    {canEdit && (
                      <td>
                        <button type="button" className="link-button" onClick={() => setEditing(p.slug)} aria-label={`edit ${p.slug}`}>
                          Edit
                        </button>
                      </td>
                    )}
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

/** Admins tune a profile's limits and budget; only the changed fields are sent. */
function EditProfileForm({ profile, onDone }: { profile: HardwareProfileDto; onDone: () => void }) {
  const update = useUpdateProfile();
  const [input, setInput] = useState<ProfileFormInput>(() => profileFormInput(profile));
  const [errors, setErrors] = useState<FieldErrors<keyof ProfileFormInput>>({});
  const set = (k: keyof ProfileFormInput) => (e: { target: { value: string } }) => setInput({ ...input, [k]: e.target.value });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateProfileForm(profile, input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    if (!result.value) return onDone();
    update.mutate({ slug: profile.slug, body: result.value }, { onSuccess: onDone });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="edit profile">
      <h3 className="wide">
        Edit <code>{profile.slug}</code>
        {profile.builtin && <span className="muted small"> (built-in: new pipelines use the new values)</span>}
      </h3>
      <Field label="Name" error={errors.name}>
        <input value={input.name} onChange={set('name')} aria-invalid={!!errors.name} />
      </Field>
      <fieldset>
        <legend>Precisions</legend>
        <div className="checks">
          {PRECISIONS.map((x) => (
            <label key={x} className="check">
              <input
                type="checkbox"
                checked={input.precisions.includes(x)}
                onChange={(e) => setInput({ ...input, precisions: e.target.checked ? [...input.precisions, x] : input.precisions.filter((y) => y !== x) })}
              />
              {x}
            </label>
          ))}
        </div>
        {errors.precisions && <span className="field-error">{errors.precisions}</span>}
      </fieldset>
      <label>
        Optimization
        <select value={input.optimizationLevel} onChange={set('optimizationLevel')}>
          <option value="basic">basic</option>
          <option value="extended">extended</option>
        </select>
      </label>
      <Field label="Threads" error={errors.threads}>
        <input value={input.threads} onChange={set('threads')} inputMode="numeric" aria-invalid={!!errors.threads} />
      </Field>
      <Field label="Max size (MiB)" error={errors.maxModelMiB}>
        <input value={input.maxModelMiB} onChange={set('maxModelMiB')} inputMode="decimal" placeholder="no limit" aria-invalid={!!errors.maxModelMiB} />
      </Field>
      <Field label="Max latency (ms)" error={errors.maxLatencyMs}>
        <input value={input.maxLatencyMs} onChange={set('maxLatencyMs')} inputMode="decimal" placeholder="no limit" aria-invalid={!!errors.maxLatencyMs} />
      </Field>
      <Field label="Max accuracy drop (points)" error={errors.maxDropPoints}>
        <input value={input.maxDropPoints} onChange={set('maxDropPoints')} inputMode="decimal" placeholder="not checked" aria-invalid={!!errors.maxDropPoints} />
      </Field>
      <Field label="Min agreement (%)" error={errors.minAgreementPct}>
        <input value={input.minAgreementPct} onChange={set('minAgreementPct')} inputMode="decimal" placeholder="not checked" aria-invalid={!!errors.minAgreementPct} />
      </Field>
      <label>
        Objective
        <select value={input.objective} onChange={set('objective')}>
          <option value="latency">latency</option>
          <option value="size">size</option>
        </select>
      </label>
      <Field label="Description" error={errors.description} className="wide">
        <textarea value={input.description} onChange={set('description')} rows={2} aria-invalid={!!errors.description} />
      </Field>
      <SubmitRow mutation={update} label="Save profile" busyLabel="Saving…" onCancel={onDone} />
    </form>
  );
}
