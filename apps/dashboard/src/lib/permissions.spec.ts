import { describe, expect, it } from 'vitest';
import { type Action, can, isRole, ROLES } from './permissions';

const ALL: Action[] = ['model:write', 'pipeline:write', 'rollout:write', 'device:write', 'enrollment:write', 'profile:write', 'user:manage', 'apikey:manage', 'audit:read'];

describe(can.name, () => {
  it('lets an admin do everything', () => {
    for (const a of ALL) expect(can('admin', a), a).toBe(true);
  });

  it('lets a viewer write nothing', () => {
    for (const a of ALL) expect(can('viewer', a), a).toBe(false);
  });

  it('gives ml the model and pipeline actions, not rollouts or devices', () => {
    expect(ALL.filter((a) => can('ml', a))).toEqual(['model:write', 'pipeline:write']);
  });

  it('gives operator rollouts, devices and enrollment tokens, not models', () => {
    expect(ALL.filter((a) => can('operator', a))).toEqual(['rollout:write', 'device:write', 'enrollment:write']);
  });

  it('keeps administration to admins', () => {
    for (const r of ROLES.filter((r) => r !== 'admin')) {
      for (const a of ['user:manage', 'apikey:manage', 'audit:read', 'profile:write'] as const) expect(can(r, a), `${r} ${a}`).toBe(false);
    }
  });

  it('denies unknown and missing roles', () => {
    expect(can(undefined, 'model:write')).toBe(false);
    expect(can(null, 'audit:read')).toBe(false);
    expect(can('root', 'user:manage')).toBe(false);
    // Inherited object keys are not roles.
    expect(can('toString', 'model:write')).toBe(false);
  });
});

describe(isRole.name, () => {
  it('accepts the four roles only', () => {
    expect(ROLES.every(isRole)).toBe(true);
    expect(isRole('owner')).toBe(false);
    expect(isRole(3)).toBe(false);
  });
});
