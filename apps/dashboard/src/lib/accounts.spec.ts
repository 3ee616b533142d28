import { describe, expect, it } from 'vitest';
import { apiKeyState, localInputToIso, validateApiKeyForm, validateUserForm } from './accounts';

describe(validateUserForm.name, () => {
  it('normalises the email and leaves an empty name out', () => {
    expect(validateUserForm({ email: ' Ada@Example.COM ', name: ' ', password: 'correct horse battery', role: 'ml' })).toEqual({
      ok: true,
      value: { email: 'ada@example.com', password: 'correct horse battery', role: 'ml' },
    });
  });

  it('reports every bad field at once', () => {
    const r = validateUserForm({ email: 'nope', name: 'x'.repeat(101), password: 'short', role: 'root' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['email', 'name', 'password', 'role']);
  });
});

describe(validateApiKeyForm.name, () => {
  it('turns days into seconds, and empty into never', () => {
    expect(validateApiKeyForm({ name: 'ci', role: 'ml', expiresInDays: '30' })).toEqual({ ok: true, value: { name: 'ci', role: 'ml', expiresInS: 30 * 86_400 } });
    expect(validateApiKeyForm({ name: 'ci', role: 'viewer', expiresInDays: '' })).toEqual({ ok: true, value: { name: 'ci', role: 'viewer' } });
  });

  it('refuses a missing name, an unknown role and a bad expiry', () => {
    const r = validateApiKeyForm({ name: '', role: '', expiresInDays: '-1' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['expiresInDays', 'name', 'role']);
    expect(validateApiKeyForm({ name: 'x', role: 'ml', expiresInDays: '9999' }).ok).toBe(false);
  });
});

describe(apiKeyState.name, () => {
  it('says revoked before expired', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    expect(apiKeyState({ revokedAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-01T00:00:00Z' }, now)).toBe('revoked');
    expect(apiKeyState({ revokedAt: null, expiresAt: '2026-01-01T00:00:00Z' }, now)).toBe('expired');
    expect(apiKeyState({ revokedAt: null, expiresAt: null }, now)).toBe('active');
  });
});

describe(localInputToIso.name, () => {
  it('converts datetime-local values and ignores empty ones', () => {
    expect(localInputToIso('')).toBeUndefined();
    expect(localInputToIso('garbage')).toBeUndefined();
    expect(localInputToIso('2026-01-02T03:04')).toMatch(/^2026-01-0[12]T\d\d:04:00\.000Z$/);
  });
});
