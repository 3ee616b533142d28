import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { useCreateModel, useModels } from '../api/queries';
import { config } from '../config/index';
import { Field, SubmitRow } from '../components/form-bits';
import { DraftRestored, useExpiryDraft } from '../components/use-expiry-draft';
import { hasDraft } from '../lib/drafts';
import { ListStates } from '../components/list-states';
import { PagedTable } from '../components/paged-table';
import { formatDate } from '../lib/format';
import { useDebounced } from '../lib/use-debounced';
import { type FieldErrors, MODEL_TASKS, type ModelFormInput, validateModelForm } from '../lib/validation';
import { useCan } from '../auth/auth-context';

const NEW_MODEL_DRAFT = 'new-model';

export function ModelsPage({ pageSize = config.pageSize }: { pageSize?: number }) {
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  // Open at once when the form comes back from a session expiry.
  const [showForm, setShowForm] = useState(() => hasDraft(NEW_MODEL_DRAFT));
  const debouncedSearch = useDebounced(search.trim(), 250);
  const models = useModels({ search: debouncedSearch || undefined, limit: pageSize, offset });
  const canWrite = useCan('model:write');

  return (
    <section>
      <header className="page-header">
        <h1>Models</h1>
        {canWrite && (
          <button type="button" className="primary" onClick={() => setShowForm((s) => !s)} aria-expanded={showForm}>
            {showForm ? 'Close' : 'New model'}
          </button>
        )}
      </header>
      {showForm && canWrite && <NewModelForm onCreated={() => setShowForm(false)} />}
      <div className="toolbar">
        <input
          type="search"
          placeholder="Search by name…"
          aria-label="search models"
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setOffset(0);
          }}
        />
        {models.isFetching && !models.isPending && <span className="muted">updating…</span>}
      </div>
      <ListStates query={models} what="models" empty={debouncedSearch ? `No model matches “${debouncedSearch}”.` : 'No models yet: create one with “New model”.'}>
        {(page) => (
          <PagedTable columns={['Name', 'Task', 'Versions', 'Latest', 'Labels', 'Updated']} page={page} limit={pageSize} onOffset={setOffset}>
            {page.items.map((m) => (
              <tr key={m.id}>
                <td>
                  <Link to={`/models/${m.id}`}>{m.name}</Link>
                </td>
                <td>{m.task}</td>
                <td>{m.versionCount}</td>
                <td>{m.latestVersion === null ? '–' : `v${m.latestVersion}`}</td>
                <td>{m.labels.length}</td>
                <td>{formatDate(m.updatedAt)}</td>
              </tr>
            ))}
          </PagedTable>
        )}
      </ListStates>
    </section>
  );
}

export function NewModelForm({ onCreated }: { onCreated?: () => void }) {
  const create = useCreateModel();
  const [input, setInput] = useState<ModelFormInput>({ name: '', task: 'image-classification', labels: '' });
  const [errors, setErrors] = useState<FieldErrors<keyof ModelFormInput>>({});
  const restored = useExpiryDraft(NEW_MODEL_DRAFT, input, setInput);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateModelForm(input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    create.mutate(result.value, {
      onSuccess: () => {
        setInput({ name: '', task: input.task, labels: '' });
        onCreated?.();
      },
    });
  };
  const set = (k: keyof ModelFormInput) => (e: { target: { value: string } }) => setInput({ ...input, [k]: e.target.value });

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="new model">
      <DraftRestored show={restored} />
      <Field label="Name" error={errors.name}>
        <input value={input.name} onChange={set('name')} aria-invalid={!!errors.name} placeholder="lenet" />
      </Field>
      <Field label="Task" error={errors.task}>
        <select value={input.task} onChange={set('task')}>
          {MODEL_TASKS.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Labels (comma-separated)" error={errors.labels} className="wide">
        <input value={input.labels} onChange={set('labels')} aria-invalid={!!errors.labels} placeholder="cat, dog, bird" />
      </Field>
      <SubmitRow mutation={create} label="Create model" />
    </form>
  );
}
