import type { Role, UserDto } from '@edgefleet/contracts';
import { useState } from 'react';
import { useCreateUser, useUpdateUser, useUsers } from '../api/auth';
import { errorMessage } from '../api/client';
import { useAuth } from '../auth/auth-context';
import { ConfirmMutation } from '../components/confirm-dialog';
import { Field, SubmitRow } from '../components/form-bits';
import { useValidatedForm } from '../components/use-validated-form';
import { RoleOptions } from '../components/role-select';
import { Badge } from '../components/status';
import { ListStates } from '../components/list-states';
import { PagedTable } from '../components/paged-table';
import { RelativeTime } from '../components/time';
import { config } from '../config/index';
import { MIN_PASSWORD, type UserFormInput, validateUserForm } from '../lib/accounts';
import { isRole, ROLES } from '../lib/permissions';

const EMPTY: UserFormInput = { email: '', name: '', password: '', role: 'viewer' };

export function UsersPage({ pageSize = config.pageSize }: { pageSize?: number }) {
  const [offset, setOffset] = useState(0);
  const [formOpen, setFormOpen] = useState(false);
  const users = useUsers({ limit: pageSize, offset });
  const update = useUpdateUser();
  const me = useAuth().session?.user?.id;
  const [toggling, setToggling] = useState<UserDto | null>(null);
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);

  const changeRole = (u: UserDto, role: Role) => {
    setRowError(null);
    update.mutate({ id: u.id, body: { role } }, { onError: (err) => setRowError({ id: u.id, message: errorMessage(err) }) });
  };

  return (
    <section>
      <header className="page-header">
        <h1>Users</h1>
        <button type="button" className="primary" onClick={() => setFormOpen((o) => !o)} aria-expanded={formOpen}>
          {formOpen ? 'Close' : 'New user'}
        </button>
      </header>
      {formOpen && <NewUserForm onCreated={() => setFormOpen(false)} />}

      <ListStates query={users} what="users" empty="No users.">
        {(page) => (
          <PagedTable label="users" columns={['Email', 'Name', 'Role', 'State', 'Last login', 'Created', '']} page={page} limit={pageSize} onOffset={setOffset}>
            {page.items.map((u) => (
              <tr key={u.id} data-testid={`user-${u.email}`}>
                <td>
                  {u.email} {u.id === me && <span className="muted small">(you)</span>}
                </td>
                <td>{u.name ?? <span className="muted">–</span>}</td>
                <td>
                  <select
                    aria-label={`role of ${u.email}`}
                    value={u.role}
                    disabled={update.isPending || u.disabled}
                    onChange={(e) => isRole(e.target.value) && changeRole(u, e.target.value)}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                  {rowError?.id === u.id && (
                    <div className="field-error" role="alert">
                      {rowError.message}
                    </div>
                  )}
                </td>
                <td>{u.disabled ? <Badge tone="muted">deactivated</Badge> : <Badge tone="ok">active</Badge>}</td>
                <td className="nowrap">{u.lastLoginAt ? <RelativeTime iso={u.lastLoginAt} /> : <span className="muted">never</span>}</td>
                <td className="nowrap">
                  <RelativeTime iso={u.createdAt} />
                </td>
                <td>
                  {u.id !== me && (
                    <button type="button" className="link-button" onClick={() => setToggling(u)}>
                      {u.disabled ? 'Reactivate' : 'Deactivate'}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </ListStates>
      {toggling && (
        <ConfirmMutation
          title={toggling.disabled ? `Reactivate ${toggling.email}?` : `Deactivate ${toggling.email}?`}
          message={toggling.disabled ? 'They can log in again with their password.' : 'Their sessions end now and they cannot log in until reactivated.'}
          confirmLabel={toggling.disabled ? 'Reactivate' : 'Deactivate'}
          danger={!toggling.disabled}
          mutation={update}
          onClose={() => setToggling(null)}
          onConfirm={() => update.mutate({ id: toggling.id, body: { disabled: !toggling.disabled } }, { onSuccess: () => setToggling(null) })}
        />
      )}
    </section>
  );
}

function NewUserForm({ onCreated }: { onCreated: () => void }) {
  const create = useCreateUser();
  const { input, setInput, errors, set, submit } = useValidatedForm(EMPTY, validateUserForm, (value) =>
    create.mutate(value, {
      onSuccess: () => {
        setInput(EMPTY);
        onCreated();
      },
    }),
  );

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="new user">
      <Field label="Email" error={errors.email}>
        <input type="email" value={input.email} onChange={set('email')} autoComplete="off" aria-invalid={!!errors.email} />
      </Field>
      <Field label="Name" error={errors.name}>
        <input value={input.name} onChange={set('name')} placeholder="optional" aria-invalid={!!errors.name} />
      </Field>
      <Field label="Initial password" error={errors.password} hint={<span className="muted small">at least {MIN_PASSWORD} characters; share it with them safely</span>}>
        <input type="password" value={input.password} onChange={set('password')} autoComplete="new-password" aria-invalid={!!errors.password} />
      </Field>
      <Field label="Role" error={errors.role}>
        <select value={input.role} onChange={set('role')} aria-invalid={!!errors.role}>
          <RoleOptions />
        </select>
      </Field>
      <SubmitRow mutation={create} label="Create user" />
    </form>
  );
}
