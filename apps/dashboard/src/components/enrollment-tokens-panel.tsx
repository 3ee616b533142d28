import type { CreatedEnrollmentTokenDto, EnrollmentTokenDto } from '@edgefleet/contracts';
import { useState } from 'react';
import { useCreateEnrollmentToken, useEnrollmentTokens, useRevokeEnrollmentToken } from '../api/fleet';
import { type TokenFormInput, validateTokenForm } from '../lib/devices';
import { formatDate } from '../lib/format';
import { config } from '../config/index';
import { ConfirmMutation } from './confirm-dialog';
import { Field, SubmitRow } from './form-bits';
import { useValidatedForm } from './use-validated-form';
import { SecretOnce } from './secret-once';
import { Badge } from './status';
import { ListStates } from './list-states';
import { PagedTable } from './paged-table';
import { RelativeTime } from './time';

function tokenState(t: EnrollmentTokenDto, now = Date.now()): { label: string; tone: 'ok' | 'bad' | 'muted' | 'warn' } {
  if (t.revokedAt) return { label: 'revoked', tone: 'muted' };
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return { label: 'expired', tone: 'warn' };
  if (t.maxUses !== null && t.uses >= t.maxUses) return { label: 'used up', tone: 'warn' };
  return { label: 'active', tone: 'ok' };
}

const EMPTY: TokenFormInput = { name: '', group: '', tags: '', expiresInH: '', maxUses: '' };

/** Create (the token is shown once), list and revoke enrollment tokens. */
export function EnrollmentTokensPanel({ pageSize = config.pageSize }: { pageSize?: number }) {
  const [offset, setOffset] = useState(0);
  const tokens = useEnrollmentTokens({ limit: pageSize, offset });
  const create = useCreateEnrollmentToken();
  const revoke = useRevokeEnrollmentToken();
  const [created, setCreated] = useState<CreatedEnrollmentTokenDto | null>(null);
  const [revoking, setRevoking] = useState<EnrollmentTokenDto | null>(null);
  const { input, setInput, errors, set, submit } = useValidatedForm(EMPTY, validateTokenForm, (value) =>
    create.mutate(value, {
      onSuccess: (token) => {
        setCreated(token);
        setInput(EMPTY);
      },
    }),
  );

  return (
    <div className="card" aria-label="enrollment tokens">
      <h2>Enrollment tokens</h2>
      {created && (
        <SecretOnce label="new token" testId="new-token" secret={created.token} message={<>Token “{created.name}” created.</>} onDone={() => setCreated(null)}>
          <p className="muted small">
            On the device:{' '}
            <code>
              edgefleet-agent enroll --server {window.location.origin} --token {created.token}
            </code>
          </p>
        </SecretOnce>
      )}
      <form className="form" onSubmit={submit} noValidate aria-label="new enrollment token">
        <Field label="Name" error={errors.name}>
          <input value={input.name} onChange={set('name')} placeholder="line-1 cameras" aria-invalid={!!errors.name} />
        </Field>
        <Field label="Group" error={errors.group}>
          <input value={input.group} onChange={set('group')} placeholder="default" aria-invalid={!!errors.group} />
        </Field>
        <Field label="Tags" error={errors.tags}>
          <input value={input.tags} onChange={set('tags')} placeholder="cam, eu-west" aria-invalid={!!errors.tags} />
        </Field>
        <Field label="Expires in (hours)" error={errors.expiresInH}>
          <input value={input.expiresInH} onChange={set('expiresInH')} inputMode="decimal" placeholder="never" aria-invalid={!!errors.expiresInH} />
        </Field>
        <Field label="Max uses" error={errors.maxUses}>
          <input value={input.maxUses} onChange={set('maxUses')} inputMode="numeric" placeholder="unlimited" aria-invalid={!!errors.maxUses} />
        </Field>
        <SubmitRow mutation={create} label="Create token" />
      </form>

      <h3 className="spaced">Tokens</h3>
      <ListStates query={tokens} what="tokens" empty="No enrollment tokens yet.">
        {(page) => (
          <PagedTable label="enrollment token list" columns={['Name', 'Group', 'Tags', 'Uses', 'Expires', 'State', 'Created', '']} page={page} limit={pageSize} onOffset={setOffset}>
            {page.items.map((t) => {
              const state = tokenState(t);
              return (
                <tr key={t.id} data-testid={`token-${t.name}`}>
                  <td>{t.name}</td>
                  <td>{t.group}</td>
                  <td>{t.tags.join(', ') || '–'}</td>
                  <td>
                    {t.uses}
                    {t.maxUses !== null ? ` / ${t.maxUses}` : ''}
                  </td>
                  <td>{t.expiresAt ? formatDate(t.expiresAt) : 'never'}</td>
                  <td>
                    <Badge tone={state.tone}>{state.label}</Badge>
                  </td>
                  <td>
                    <RelativeTime iso={t.createdAt} />
                  </td>
                  <td>
                    {!t.revokedAt && (
                      <button type="button" className="link-button" onClick={() => setRevoking(t)}>
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
          title={`Revoke token “${revoking.name}”?`}
          message="No device can enroll with it any more. Devices already enrolled keep working."
          confirmLabel="Revoke token"
          danger
          mutation={revoke}
          onClose={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) })}
        />
      )}
    </div>
  );
}
