import type { Role } from '@edgefleet/contracts';
import { ROLES } from '../lib/permissions';

export const ROLE_HELP: Record<Role, string> = {
  admin: 'everything, including users, keys and the audit log',
  operator: 'devices, enrollment tokens, rollouts',
  ml: 'models, versions, datasets, pipelines',
  viewer: 'read only',
};

export function RoleOptions({ placeholder }: { placeholder?: string }) {
  return (
    <>
      {placeholder !== undefined && <option value="">{placeholder}</option>}
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r} – {ROLE_HELP[r]}
        </option>
      ))}
    </>
  );
}
