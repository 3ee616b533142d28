import type { HardwareProfileDto } from '@edgefleet/contracts';
import { type FormEvent, useState } from 'react';
import { useTriggerPipeline } from '../api/queries';
import { Field, SubmitRow } from './form-bits';
import { type FieldErrors, type RerunFormInput, validateRerunForm } from '../lib/validation';
import { useActorName } from '../auth/auth-context';

const RECIPE_EXAMPLE = '[{"id":"int8-dyn","precision":"int8","steps":[{"name":"optimize","level":"basic"},{"name":"int8-dynamic"}]}]';

export function RerunForm({ modelId, v, profiles, onDone }: { modelId: string; v: string; profiles: readonly HardwareProfileDto[]; onDone: () => void }) {
  const trigger = useTriggerPipeline(modelId, v);
  const requestedBy = useActorName();
  const [input, setInput] = useState<RerunFormInput>({ profiles: [], recipesJson: '' });
  const [errors, setErrors] = useState<FieldErrors<keyof RerunFormInput>>({});

  const toggle = (slug: string) =>
    setInput((s) => ({ ...s, profiles: s.profiles.includes(slug) ? s.profiles.filter((p) => p !== slug) : [...s.profiles, slug] }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateRerunForm(input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    trigger.mutate({ ...result.value, requestedBy }, { onSuccess: onDone });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="re-run pipeline">
      <fieldset className="wide">
        <legend>Profiles (none ticked = all)</legend>
        <div className="checks">
          {profiles.map((p) => (
            <label key={p.id} className="check">
              <input type="checkbox" checked={input.profiles.includes(p.slug)} onChange={() => toggle(p.slug)} /> {p.name} <code>{p.slug}</code>
            </label>
          ))}
        </div>
      </fieldset>
      <Field label="Recipes JSON (optional; replaces the profiles' candidates)" error={errors.recipesJson} className="wide">
        <textarea rows={4} value={input.recipesJson} placeholder={RECIPE_EXAMPLE} onChange={(e) => setInput({ ...input, recipesJson: e.target.value })} aria-invalid={!!errors.recipesJson} />
      </Field>
      <SubmitRow mutation={trigger} label="Start pipeline" busyLabel="Starting…" onCancel={onDone} cancelLabel="Close" />
    </form>
  );
}
