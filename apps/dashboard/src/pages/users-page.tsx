import type { Role, UserDto } from '@edgefleet/contracts';
import { type FormEvent, useState } from 'react';
import { useCreateUser, useUpdateUser, useUsers } from '../api/auth';
import { errorMessage } from '../api/client';
import { useAuth } from '../auth/auth-context';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Pagination } from '../components/pagination';
import { RoleOptions } from '../components/role-select';
import { Badge, Empty, ErrorBox, Loading } from '../components/status';
import { RelativeTime } from '../components/time';
import { config } from '../config/index';
import { MIN_PASSWORD, type UserFormInput, validateUserForm } from '../lib/accounts';
import { isRole, ROLES } from '../lib/permissions';
import type { FieldErrors } from '../lib/validation';

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

      {users.isPending ? (
        <Loading what="users" />
      ) : users.isError ? (
        <ErrorBox error={users.error} retry={() => void users.refetch()} />
      ) : users.data.items.length === 0 ? (
        <Empty>No users.</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="users">
              <thead>
                <tr>
                  <th>Email</th>
                  <th>Name</th>
                  <th>Role</th>
                  <th>State</th>
                  <th>Last login</th>
                  <th>Created</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {users.data.items.map((u) => (
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
              </tbody>
            </table>
          </div>
          <Pagination offset={users.data.offset} limit={pageSize} count={users.data.items.length} total={users.data.total} onOffset={setOffset} />
        </>
      )}
      {toggling && (
        <ConfirmDialog
          title={toggling.disabled ? `Reactivate ${toggling.email}?` : `Deactivate ${toggling.email}?`}
          message={toggling.disabled ? 'They can log in again with their password.' : 'Their sessions end now and they cannot log in until reactivated.'}
          confirmLabel={toggling.disabled ? 'Reactivate' : 'Deactivate'}
          danger={!toggling.disabled}
          busy={update.isPending}
          error={update.isError ? errorMessage(update.error) : null}
          onCancel={() => {
            update.reset();
            setToggling(null);
          }}
          onConfirm={() => update.mutate({ id: toggling.id, body: { disabled: !toggling.disabled } }, { onSuccess: () => setToggling(null) })}
        />
      )}
    </section>
  );
}

function NewUserForm({ onCreated }: { onCreated: () => void }) {
  const create = useCreateUser();
  const [input, setInput] = useState<UserFormInput>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors<keyof UserFormInput>>({});
  const set = (k: keyof UserFormInput) => (e: { target: { value: string } }) => setInput({ ...input, [k]: e.target.value });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateUserForm(input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    create.mutate(result.value, {
      onSuccess: () => {
        setInput(EMPTY);
        onCreated();
      },
    });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="new user">
      <label>
        Email
        <input type="email" value={input.email} onChange={set('email')} autoComplete="off" aria-invalid={!!errors.email} />
        {errors.email && <span className="field-error">{errors.email}</span>}
      </label>
      <label>
        Name
        <input value={input.name} onChange={set('name')} placeholder="optional" aria-invalid={!!errors.name} />
        {errors.name && <span className="field-error">{errors.name}</span>}
      </label>
      <label>
        Initial password
        <input type="password" value={input.password} onChange={set('password')} autoComplete="new-password" aria-invalid={!!errors.password} />
        {errors.password ? <span className="field-error">{errors.password}</span> : <span className="muted small">at least {MIN_PASSWORD} characters; share it with them safely</span>}
      </label>
      <label>
        Role
        <select value={input.role} onChange={set('role')} aria-invalid={!!errors.role}>
          <RoleOptions />
        </select>
        {errors.role && <span className="field-error">{errors.role}</span>}
      </label>
      {create.isError && (
        <div className="error-box wide" role="alert">
          {errorMessage(create.error)}
        </div>
      )}
      <div className="actions wide">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create user'}
        </button>
      </div>
    </form>
  );
}
