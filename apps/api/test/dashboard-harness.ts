import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import type { Role } from '@edgefleet/contracts';
import supertest from 'supertest';
import { expect } from 'vitest';
import type { TestApp } from './test-app.js';

const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, headless, as the dashboard browser tests drive it. */
export async function launchBrowser(): Promise<Browser> {
  expect(existsSync(CHROMIUM), 'Debian chromium is required (.ci/run installs it)').toBe(true);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Listens on a free loopback port and returns the origin the browser opens. */
export async function listen(sut: TestApp): Promise<string> {
  await sut.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(sut.app.getHttpServer().address() as AddressInfo).port}`;
}

/** Fails the test on any uncaught page error (a React crash would otherwise only show as a missing element). */
export function failOnPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

export const SCREENSHOTS = '/tmp/edgefleet-dashboard';

/**
 * How the app under test treats accounts: `none` (an API from before accounts: no `/api/auth/me`), `off`
 * (AUTH_REQUIRED=false: anonymous requests act as an admin) or `required`.
 */
export type AccountsMode = 'none' | 'off' | 'required';

export async function accountsMode(sut: TestApp): Promise<AccountsMode> {
  // Without credentials: `sut.http` may carry an admin API key.
  const res = await supertest(sut.app.getHttpServer()).get('/api/auth/me');
  return res.status === 404 ? 'none' : res.status === 401 ? 'required' : 'off';
}

export interface DashboardUser {
  id: string;
  email: string;
  password: string;
  role: Role;
}

/** A user of the default organisation, created through the admin API (`sut.http` acts as an admin). */
export async function createUser(sut: TestApp, role: Role): Promise<DashboardUser> {
  const email = `${role}-${randomUUID().slice(0, 8)}@dashboard.test`;
  const password = 'dashboard test password';
  const res = await sut.http.post('/api/users').send({ email, password, role });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id as string, email, password, role };
}

/**
 * Logs the page's browser context in through the login endpoint (the page's own cookie jar receives the HTTP-only
 * session cookie). `who` defaults to a new admin. Returns the user, or null without doing anything when the API needs
 * no login (no accounts yet, or AUTH_REQUIRED=false), so the browser tests run against both.
 */
export async function logIn(page: Page, base: string, sut: TestApp, who?: DashboardUser | Role): Promise<DashboardUser | null> {
  if ((await accountsMode(sut)) !== 'required') return null;
  const user = typeof who === 'object' ? who : await createUser(sut, who ?? 'admin');
  const res = await page.request.post(`${base}/api/auth/login`, { data: { email: user.email, password: user.password } });
  expect(res.status(), await res.text()).toBe(200);
  return user;
}
