import { describe, expect, it } from 'vitest';
import { formatRetryAfter, loginPath, safeNext } from './login-redirect';

describe(safeNext.name, () => {
  it('follows paths on this origin, with their query', () => {
    expect(safeNext('/rollouts/new?model=m&version=2')).toBe('/rollouts/new?model=m&version=2');
    expect(safeNext('/devices')).toBe('/devices');
  });

  it('refuses other origins and the login page itself', () => {
    for (const bad of ['//evil.example/x', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '', null, undefined, '/login', '/login?next=/x']) {
      expect(safeNext(bad), String(bad)).toBe('/models');
    }
  });
});

describe(loginPath.name, () => {
  it('keeps where the user was and says why', () => {
    expect(loginPath('/rollouts/new?model=m&version=2', true)).toBe('/login?next=%2Frollouts%2Fnew%3Fmodel%3Dm%26version%3D2&expired=1');
    expect(loginPath('/devices')).toBe('/login?next=%2Fdevices');
    expect(loginPath('/')).toBe('/login');
  });
});

describe(formatRetryAfter.name, () => {
  it('uses seconds under a minute, then minutes', () => {
    expect(formatRetryAfter(0.2)).toBe('1 s');
    expect(formatRetryAfter(42)).toBe('42 s');
    expect(formatRetryAfter(61)).toBe('2 min');
  });
});
