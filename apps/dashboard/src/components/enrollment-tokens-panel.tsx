import type { CreatedEnrollmentTokenDto, EnrollmentTokenDto } from '@edgefleet/contracts';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../api/client';
import { useCreateEnrollmentToken, useEnrollmentTokens, useRevokeEnrollmentToken } from '../api/fleet';
import { type TokenFormInput, validateTokenForm } from '../lib/devices';
import { formatDate } from '../lib/format';
import type { FieldErrors } from '../lib/validation';
import { config } from '../config/index';
import { ConfirmDialog } from './confirm-dialog';
import { CopyButton } from './copy-button';
import { Pagination } from './pagination';
import { Badge, Empty, ErrorBox, Loading } from './status';
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
  const [input, setInput] = useState<TokenFormInput>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors<keyof TokenFormInput>>({});
  const [created, setCreated] = useState<CreatedEnrollmentTokenDto | null>(null);
  const [revoking, setRevoking] = useState<EnrollmentTokenDto | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateTokenForm(input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    create.mutate(result.value, {
      onSuccess: (token) => {
        setCreated(token);
        setInput(EMPTY);
      },
    });
  };
  const set = (k: keyof TokenFormInput) => (e: { target: { value: string } }) => setInput({ ...input, [k]: e.target.value });

  return (
    <div className="card" aria-label="enrollment tokens">
      <h2>Enrollment tokens</h2>
      {created && (
        <div className="token-once" role="status" aria-label="new token">
          <p>
            <strong>Token “{created.name}” created.</strong> Copy it now: it is shown only this once.
          </p>
          <div className="token-row">
            <code data-testid="new-token">{created.token}</code>
            <CopyButton text={created.token} />
            <button type="button" className="link-button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
          <p className="muted small">
            On the device:{' '}
            <code>
              edgefleet-agent enroll --server {window.location.origin} --token {created.token}
            </code>
          </p>
        </div>
      )}
      <form className="form" onSubmit={submit} noValidate aria-label="new enrollment token">
        <label>
          Name
          <input value={input.name} onChange={set('name')} placeholder="line-1 cameras" aria-invalid={!!errors.name} />
          {errors.name && <span className="field-error">{errors.name}</span>}
        </label>
        <label>
          Group
          <input value={input.group} onChange={set('group')} placeholder="default" aria-invalid={!!errors.group} />
          {errors.group && <span className="field-error">{errors.group}</span>}
        </label>
        <label>
          Tags
          <input value={input.tags} onChange={set('tags')} placeholder="cam, eu-west" aria-invalid={!!errors.tags} />
          {errors.tags && <span className="field-error">{errors.tags}</span>}
        </label>
        <label>
          Expires in (hours)
          <input
            value={input.expiresInH}
            onChange={set('expiresInH')}
            inputMode="decimal"
            placeholder="never"
            aria-invalid={!!errors.expiresInH}
          />
          {errors.expiresInH && <span className="field-error">{errors.expiresInH}</span>}
        </label>
        <label>
          Max uses
          <input
            value={input.maxUses}
            onChange={set('maxUses')}
            inputMode="numeric"
            placeholder="unlimited"
            aria-invalid={!!errors.maxUses}
          />
          {errors.maxUses && <span className="field-error">{errors.maxUses}</span>}
        </label>
        {create.isError && (
          <div className="error-box wide" role="alert">
            {errorMessage(create.error)}
          </div>
        )}
        <div className="actions wide">
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>

      <h3 className="spaced">Tokens</h3>
      {tokens.isPending ? (
        <Loading what="tokens" />
      ) : tokens.isError ? (
        <ErrorBox error={tokens.error} retry={() => void tokens.refetch()} />
      ) : tokens.data.items.length === 0 ? (
        <Empty>No enrollment tokens yet.</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="enrollment token list">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Group</th>
                  <th>Tags</th>
                  <th>Uses</th>
                  <th>Expires</th>
                  <th>State</th>
                  <th>Created</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {tokens.data.items.map((t) => {
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
              </tbody>
            </table>
          </div>
          <Pagination
            offset={tokens.data.offset}
            limit={pageSize}
            count={tokens.data.items.length}
            total={tokens.data.total}
            onOffset={setOffset}
          />
        </>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke token “${revoking.name}”?`}
          message="No device can enroll with it any more. Devices already enrolled keep working."
          confirmLabel="Revoke token"
          danger
          busy={revoke.isPending}
          error={revoke.isError ? errorMessage(revoke.error) : null}
          onCancel={() => {
            revoke.reset();
            setRevoking(null);
          }}
          onConfirm={() => revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) })}
        />
      )}
    </div>
  );
}
