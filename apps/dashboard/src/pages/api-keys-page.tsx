import type { ApiKeyDto, CreatedApiKeyDto } from '@edgefleet/contracts';
import { useState } from 'react';
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from '../api/auth';
import { ConfirmMutation } from '../components/confirm-dialog';
import { Field, SubmitRow } from '../components/form-bits';
import { useValidatedForm } from '../components/use-validated-form';
import { RoleOptions } from '../components/role-select';
import { Badge } from '../components/status';
import { ListStates } from '../components/list-states';
import { PagedTable } from '../components/paged-table';
import { SecretOnce } from '../components/secret-once';
import { RelativeTime } from '../components/time';
import { config } from '../config/index';
import { type ApiKeyFormInput, apiKeyState, validateApiKeyForm } from '../lib/accounts';
import { formatDate } from '../lib/format';

const EMPTY: ApiKeyFormInput = { name: '', role: 'viewer', expiresInDays: '90' };
const TONE = { active: 'ok', expired: 'warn', revoked: 'muted' } as const;

/** Create (the `efk_…` key is shown once), list with last use, revoke. */
export function ApiKeysPage({ pageSize = config.pageSize }: { pageSize?: number }) {
  const [offset, setOffset] = useState(0);
  const keys = useApiKeys({ limit: pageSize, offset });
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const [created, setCreated] = useState<CreatedApiKeyDto | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyDto | null>(null);
  const { input, setInput, errors, set, submit } = useValidatedForm(EMPTY, validateApiKeyForm, (value) =>
    create.mutate(value, {
      onSuccess: (key) => {
        setCreated(key);
        setInput(EMPTY);
      },
    }),
  );

  return (
    <section>
      <header className="page-header">
        <div>
          <h1>API keys</h1>
          <p className="muted small">For CI and the CLI: send it as <code>Authorization: Bearer efk_…</code>. A key acts with the role it was given.</p>
        </div>
      </header>
      <div className="card">
        {created && (
          <SecretOnce
            label="new API key"
            testId="new-api-key"
            secret={created.key}
            message={
              <>
                Key “{created.name}” created ({created.role}).
              </>
            }
            onDone={() => setCreated(null)}
          />
        )}
        <form className="form" onSubmit={submit} noValidate aria-label="new API key">
          <Field label="Name" error={errors.name}>
            <input value={input.name} onChange={set('name')} placeholder="ci-pipeline" aria-invalid={!!errors.name} />
          </Field>
          <Field label="Role" error={errors.role}>
            <select value={input.role} onChange={set('role')} aria-invalid={!!errors.role}>
              <RoleOptions />
            </select>
          </Field>
          <Field label="Expires in (days)" error={errors.expiresInDays}>
            <input value={input.expiresInDays} onChange={set('expiresInDays')} inputMode="decimal" placeholder="never" aria-invalid={!!errors.expiresInDays} />
          </Field>
          <SubmitRow mutation={create} label="Create key" />
        </form>
      </div>

      <ListStates query={keys} what="API keys" empty="No API keys yet.">
        {(page) => (
          <PagedTable label="API keys" columns={['Name', 'Key', 'Role', 'Last used', 'Expires', 'State', 'Created', '']} page={page} limit={pageSize} onOffset={setOffset}>
            {page.items.map((k) => {
              const state = apiKeyState(k);
              return (
                <tr key={k.id} data-testid={`api-key-${k.name}`}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{k.role}</td>
                  <td className="nowrap">{k.lastUsedAt ? <RelativeTime iso={k.lastUsedAt} /> : <span className="muted">never</span>}</td>
                  <td className="nowrap">{k.expiresAt ? formatDate(k.expiresAt) : 'never'}</td>
                  <td>
                    <Badge tone={TONE[state]}>{state}</Badge>
                  </td>
                  <td className="nowrap">
                    <RelativeTime iso={k.createdAt} />
                  </td>
                  <td>
                    {state !== 'revoked' && (
                      <button type="button" className="link-button" onClick={() => setRevoking(k)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </PagedTable>
        )}
      </ListStates>
      {revoking && (
        <ConfirmMutation
          title={`Revoke key “${revoking.name}”?`}
          message="Every request with it is refused from now on. This cannot be undone."
          confirmLabel="Revoke key"
          danger
          mutation={revoke}
          onClose={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) })}
        />
      )}
    </section>
  );
}
