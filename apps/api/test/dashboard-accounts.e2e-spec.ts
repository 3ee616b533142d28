import type { Browser, BrowserContext, Page } from 'playwright-core';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { type AccountsMode, accountsMode, createUser, type DashboardUser, failOnPageErrors, launchBrowser, listen, logIn, SCREENSHOTS } from './dashboard-harness.js';
import { createVersion } from './device-fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

/**
 * Accounts in a real browser against the real API: the login page, a session that ends under the user, what each role
 * is shown, API keys and the audit log. Each test skips against an API that needs no login (before accounts existed,
 * or AUTH_REQUIRED=false).
 */
describe('dashboard: accounts in a real browser', () => {
  let sut: TestApp;
  let browser: Browser;
  let base: string;
  let mode: AccountsMode;
  let version: { modelId: string; versionId: string; number: number };
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Accounts enforced (other browser tests run with whatever the test app defaults to); logins in this file stay
    // under the throttle (the 429 message has its own component test).
    sut = await createTestApp({ AUTO_PIPELINES: 'false', AUTH_REQUIRED: 'true', RATE_LIMIT_LOGIN: '100' });
    base = await listen(sut);
    mode = await accountsMode(sut);
    if (mode === 'required') version = await createVersion(sut, 'lenet-accounts');
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await sut?.close();
  });

  const needsAccounts = (ctx: TestContext) => {
    if (mode !== 'required') ctx.skip();
  };

  async function newPage(width = 1280): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    pageErrors.push(...failOnPageErrors(page));
    return page;
  }

  async function fillLogin(page: Page, who: { email: string; password: string }) {
    const form = page.getByRole('form', { name: 'log in' });
    await form.getByLabel('Email').fill(who.email);
    await form.getByLabel('Password').fill(who.password);
    await form.getByRole('button', { name: 'Log in' }).click();
  }

  it('logs in: a wrong password is refused with a clear message, the right one lands on the page asked for', async (ctx) => {
    needsAccounts(ctx);
    const ops = await createUser(sut, 'operator');
    const page = await newPage();
    await page.goto(`${base}/devices?x=1`);
    await page.waitForURL(/\/login\?/);
    expect(new URL(page.url()).searchParams.get('next')).toBe('/devices?x=1');
    expect(await page.getByText(/session expired/).count()).toBe(0);

    await fillLogin(page, { email: ops.email, password: 'not the password' });
    const alert = page.getByRole('form', { name: 'log in' }).getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toBe('Wrong email or password.');
    await page.screenshot({ path: `${SCREENSHOTS}/login-error.png`, fullPage: true });

    await fillLogin(page, ops);
    await page.waitForURL(`${base}/devices?x=1`);
    await page.getByRole('heading', { name: 'Devices', exact: true }).waitFor();
    expect(await page.getByTestId('user-email').innerText()).toBe(ops.email);
    expect(await page.getByTestId('user-role').innerText()).toBe('operator');
    // Operators have no admin section.
    expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);

    // Logging out ends the session: the API no longer accepts the cookie.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    expect((await page.request.get(`${base}/api/auth/me`)).status()).toBe(401);
  });

  it('sends the user to the login page with "your session expired" when the session ends server-side, and back with the form as it was', async (ctx) => {
    needsAccounts(ctx);
    const ml = await createUser(sut, 'ml');
    const page = await newPage();
    await logIn(page, base, sut, ml);
    await page.goto(`${base}/models`);
    await page.getByRole('heading', { name: 'Models', exact: true }).waitFor();
    expect(await page.getByTestId('user-role').innerText()).toBe('ml');
    await page.getByRole('button', { name: 'New model' }).click();
    const form = page.getByRole('form', { name: 'new model' });
    await form.getByLabel('Name').fill('half-typed-net');
    await form.getByLabel('Labels (comma-separated)').fill('cat, dog');

    // The session ends on the server (logged out elsewhere with the same cookie); the browser still holds the cookie.
    const session = (await page.context().cookies(base)).find((c) => c.name === 'ef_session');
    expect(session?.httpOnly).toBe(true);
    await supertest(sut.app.getHttpServer()).post('/api/auth/logout').set('cookie', `ef_session=${session!.value}`).expect(204);

    // The next request gets 401: the login page explains, keeping where the user was.
    await form.getByRole('button', { name: 'Create model' }).click();
    await page.getByText('Your session expired').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/models');
    await page.screenshot({ path: `${SCREENSHOTS}/login-expired.png`, fullPage: true });

    // Back after the login, with what was typed.
    await fillLogin(page, ml);
    await page.waitForURL(`${base}/models`);
    await page.getByTestId('draft-restored').waitFor();
    expect(await form.getByLabel('Name').inputValue()).toBe('half-typed-net');
    expect(await form.getByLabel('Labels (comma-separated)').inputValue()).toBe('cat, dog');
    await form.getByRole('button', { name: 'Create model' }).click();
    await page.getByRole('link', { name: 'half-typed-net' }).waitFor();

    // A navigation after the session ends goes to the login page as well.
    const again = (await page.context().cookies(base)).find((c) => c.name === 'ef_session');
    await supertest(sut.app.getHttpServer()).post('/api/auth/logout').set('cookie', `ef_session=${again!.value}`).expect(204);
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByText('Your session expired').waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/rollouts');
    await fillLogin(page, ml);
    await page.waitForURL(`${base}/rollouts`);
    // Nothing was being typed this time: no draft notice anywhere.
    await page.getByRole('heading', { name: 'Rollouts', exact: true }).waitFor();
    expect(await page.getByTestId('draft-restored').count()).toBe(0);
  });

  it('shows each role only what it may do', async (ctx) => {
    needsAccounts(ctx);
    const versionPath = `${base}/models/${version.modelId}/versions/${version.number}`;

    const viewer = await newPage();
    await logIn(viewer, base, sut, 'viewer');
    await viewer.goto(versionPath);
    await viewer.getByRole('link', { name: 'Telemetry' }).waitFor();
    expect(await viewer.getByRole('link', { name: 'Roll out' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Re-run' }).count()).toBe(0);
    await viewer.goto(`${base}/models/${version.modelId}`);
    await viewer.getByRole('heading', { name: 'Versions', exact: true }).waitFor();
    expect(await viewer.getByRole('form', { name: /upload/i }).count()).toBe(0);
    expect(await viewer.locator('input[type=file]').count()).toBe(0);
    await viewer.goto(`${base}/models`);
    await viewer.getByRole('heading', { name: 'Models', exact: true }).waitFor();
    expect(await viewer.getByRole('button', { name: 'New model' }).count()).toBe(0);
    await viewer.goto(`${base}/devices`);
    await viewer.getByRole('heading', { name: 'Devices', exact: true }).waitFor();
    expect(await viewer.getByRole('button', { name: 'Enrollment tokens' }).count()).toBe(0);
    await viewer.goto(`${base}/rollouts`);
    await viewer.getByRole('heading', { name: 'Rollouts', exact: true }).waitFor();
    expect(await viewer.getByRole('link', { name: 'New rollout' }).count()).toBe(0);
    expect(await viewer.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await viewer.screenshot({ path: `${SCREENSHOTS}/viewer-rollouts.png`, fullPage: true });
    // Typing an admin address gets an explanation, not a broken page.
    await viewer.goto(`${base}/users`);
    await viewer.getByRole('heading', { name: 'Not allowed', exact: true }).waitFor();

    const ml = await newPage();
    await logIn(ml, base, sut, 'ml');
    await ml.goto(versionPath);
    await ml.getByRole('button', { name: 'Re-run' }).waitFor();
    expect(await ml.getByRole('link', { name: 'Roll out' }).count()).toBe(0);

    const admin = await newPage();
    await logIn(admin, base, sut, 'admin');
    await admin.goto(versionPath);
    await admin.getByRole('link', { name: 'Roll out' }).waitFor();
    expect(await admin.getByRole('button', { name: 'Re-run' }).count()).toBe(1);
    await admin.goto(`${base}/models/${version.modelId}`);
    await admin.locator('input[type=file]').first().waitFor({ state: 'attached' });
    for (const link of ['Users', 'API keys', 'Audit log']) expect(await admin.getByRole('link', { name: link }).count()).toBe(1);
  });

  it('lets an admin edit a hardware profile, and nobody else', async (ctx) => {
    needsAccounts(ctx);
    const ops = await newPage();
    await logIn(ops, base, sut, 'operator');
    await ops.goto(`${base}/profiles`);
    await ops.getByTestId('profile-arm64-cpu-int8').waitFor();
    expect(await ops.getByRole('button', { name: 'Edit' }).count()).toBe(0);

    const page = await newPage();
    await logIn(page, base, sut, 'admin');
    await page.goto(`${base}/profiles`);
    await page.getByRole('button', { name: 'edit arm64-cpu-int8' }).click();
    const form = page.getByRole('form', { name: 'edit profile' });
    await form.getByLabel('Threads').fill('0');
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form.getByText('a whole number from 1 to 256').waitFor();
    await form.getByLabel('Threads').fill('3');
    await form.getByLabel('Min agreement (%)').fill('97.5');
    await page.screenshot({ path: `${SCREENSHOTS}/profile-edit.png`, fullPage: true });
    await form.getByRole('button', { name: 'Save profile' }).click();
    await expect.poll(() => form.count()).toBe(0);
    const api = (await sut.http.get('/api/profiles/arm64-cpu-int8').expect(200)).body;
    expect(api).toMatchObject({ threads: 3, accuracyBudget: { minAgreement: 0.975 } });
    expect(await page.getByTestId('profile-arm64-cpu-int8').innerText()).toContain('97.5%');
  });

  it('creates an API key shown once with a copy button, lists its last use, and revokes it', async (ctx) => {
    needsAccounts(ctx);
    const page = await newPage();
    await logIn(page, base, sut, 'admin');
    await page.goto(`${base}/api-keys`);
    const form = page.getByRole('form', { name: 'new API key' });
    await form.getByLabel('Name').fill('ci-bot');
    await form.getByLabel('Role').selectOption('ml');
    await form.getByLabel('Expires in (days)').fill('30');
    await form.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-api-key').innerText()).trim();
    expect(key).toMatch(/^efk_/);
    expect(await page.getByRole('status', { name: 'new API key' }).getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    const row = page.getByTestId('api-key-ci-bot');
    await row.waitFor();
    expect(await row.innerText()).toMatch(/ml[\s\S]*never[\s\S]*active/);
    await page.screenshot({ path: `${SCREENSHOTS}/api-keys.png`, fullPage: true });

    // The key works with its role: it may read, not start a rollout.
    const api = supertest(sut.app.getHttpServer());
    expect((await api.get('/api/auth/me').set('authorization', `Bearer ${key}`).expect(200)).body).toMatchObject({ via: 'api_key', role: 'ml' });
    await api.post('/api/rollouts').set('authorization', `Bearer ${key}`).send({ modelId: version.modelId, version: 1, target: {} }).expect(403);

    // Shown once: after a reload the list shows its prefix and last use, never the key.
    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId('new-api-key').count()).toBe(0);
    expect(await page.locator('main').innerText()).not.toContain(key);
    expect(await row.innerText()).toContain(key.slice(0, 8));
    expect(await row.innerText()).toMatch(/just now|s ago/);

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => row.innerText()).toContain('revoked');
    await api.get('/api/auth/me').set('authorization', `Bearer ${key}`).expect(401);
  });

  it('manages users: creates one with a role, changes the role, deactivates them', async (ctx) => {
    needsAccounts(ctx);
    const page = await newPage();
    await logIn(page, base, sut, 'admin');
    await page.goto(`${base}/users`);
    await page.getByRole('button', { name: 'New user' }).click();
    const form = page.getByRole('form', { name: 'new user' });
    await form.getByLabel('Email').fill('grace@dashboard.test');
    await form.getByLabel('Initial password').fill('short');
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByRole('button', { name: 'Create user' }).click();
    await form.getByText('at least 12 characters').waitFor();
    await form.getByLabel('Initial password').fill('a long enough password');
    await form.getByRole('button', { name: 'Create user' }).click();
    const row = page.getByTestId('user-grace@dashboard.test');
    await row.waitFor();
    expect(await row.innerText()).toContain('active');

    await row.getByLabel('role of grace@dashboard.test').selectOption('operator');
    await expect.poll(async () => (await sut.db.user.findUniqueOrThrow({ where: { email: 'grace@dashboard.test' } })).role).toBe('operator');

    await row.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
    await expect.poll(() => row.innerText()).toContain('deactivated');
    await page.screenshot({ path: `${SCREENSHOTS}/users.png`, fullPage: true });
    // A deactivated user cannot log in.
    await supertest(sut.app.getHttpServer()).post('/api/auth/login').send({ email: 'grace@dashboard.test', password: 'a long enough password' }).expect(401);
  });

  it('lists a mutation just made at the top of the audit log, and filters it', async (ctx) => {
    needsAccounts(ctx);
    const admin: DashboardUser = await createUser(sut, 'admin');
    const page = await newPage();
    await logIn(page, base, sut, admin);
    // A change made in the dashboard: a new model.
    await page.goto(`${base}/models`);
    await page.getByRole('button', { name: 'New model' }).click();
    const form = page.getByRole('form', { name: /new model/i });
    await form.getByLabel('Name').fill('audited-net');
    await form.getByRole('button', { name: /Create/ }).click();
    await page.getByRole('link', { name: 'audited-net' }).waitFor();

    await page.getByRole('link', { name: 'Audit log' }).click();
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    const top = await rows.first().innerText();
    expect(top).toContain('POST /api/models');
    expect(top).toContain(admin.email);
    expect(top).toContain('success');
    await page.screenshot({ path: `${SCREENSHOTS}/audit.png`, fullPage: true });

    // Filters: by actor, then by an action nobody did.
    await page.getByLabel('filter by actor', { exact: true }).selectOption({ label: admin.email });
    await expect.poll(async () => (await rows.allInnerTexts()).every((t) => t.includes(admin.email))).toBe(true);
    await page.getByLabel('filter by action').fill('DELETE /api/nothing');
    await page.getByText('No entry matches these filters.').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
