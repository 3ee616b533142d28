import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnPageErrors, launchBrowser, listen, logIn, SCREENSHOTS } from './dashboard-harness.js';
import { createToken, enroll, insertVariant, LENET } from './device-fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';
import fs from 'node:fs/promises';

/**
 * Rollouts in a real browser against the real API: started from the version page, followed live over the
 * `/events` socket while the API changes them, and steered with the page's buttons. No worker runs, so waves
 * stay where the API put them and every change seen on the page comes from the test.
 */
describe('dashboard: rollouts in a real browser', () => {
  let sut: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  let pageErrors: string[];
  let modelId: string;
  let rolloutId: string;
  let olderActiveId: string;
  /** Who the rollout history names: the logged-in user, or 'dashboard' when the API needs no login. */
  let actor: string;

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    base = await listen(sut);
    modelId = (await sut.http.post('/api/models').send({ name: 'lenet-rollout', task: 'image-classification' }).expect(201)).body.id;
    const lenet = await fs.readFile(LENET);
    for (const _ of [1, 2]) {
      const v = (await sut.http.post(`/api/models/${modelId}/versions`).attach('file', lenet, 'model.onnx').expect(201)).body;
      await insertVariant(sut, v.id, 'arm64-cpu-int8');
    }
    const { token } = await createToken(sut, { name: 'plant-a', group: 'plant-a' });
    for (let i = 1; i <= 4; i++) await enroll(sut, token, { arch: 'aarch64' }, `cam-${i}`);
    await sut.http.post('/api/assignments').send({ modelId, version: 1, target: { group: 'plant-a' } }).expect(200);
    // An older rollout on other devices that stays active throughout: the list must still show it first.
    const other = await createToken(sut, { name: 'plant-b', group: 'plant-b' });
    await enroll(sut, other.token, { arch: 'aarch64' }, 'cam-b');
    olderActiveId = (await sut.http.post('/api/rollouts').send({ modelId, version: 2, target: { group: 'plant-b' } }).expect(201)).body.id;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    actor = (await logIn(page, base, sut))?.email ?? 'dashboard';
    pageErrors = failOnPageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await sut?.close();
  });

  const status = () => page.getByTestId('rollout-status').innerText();

  it('starts a canary rollout from the version page and shows it on its own page', async () => {
    await page.goto(`${base}/models/${modelId}/versions/2`);
    await page.getByRole('link', { name: 'Roll out' }).click();
    await page.waitForURL(/\/rollouts\/new\?/);
    const form = page.getByRole('form', { name: 'new rollout' });
    // Model and version come from the version page.
    await expect.poll(() => form.getByLabel('Version').inputValue()).toBe('2');
    await form.getByLabel('a group').check();
    await form.getByLabel('Group', { exact: true }).fill('plant-a');
    // The preview applies the API's rules: 4 arm64 devices get the int8 variant, none is skipped (they run v1).
    const preview = form.getByLabel('rollout preview');
    await expect.poll(() => preview.innerText()).toMatch(/4 devices would receive the version[\s\S]*arm64-cpu-int8\s+4\s+int8-dyn/);
    await form.getByLabel('Waves (cumulative %)').fill('25, 100');
    await form.getByLabel('Bake time per wave (s)').fill('0');
    await form.getByRole('checkbox', { name: 'Shadow agreement (before switching)' }).check();
    await form.getByLabel('Min agreement (%)').fill('95');
    await form.getByLabel('Note').fill('browser canary');
    await page.screenshot({ path: `${SCREENSHOTS}/new-rollout.png`, fullPage: true });
    await form.getByRole('button', { name: 'Start rollout' }).click();
    await page.waitForURL(/\/rollouts\/[0-9a-f-]{36}$/);
    rolloutId = page.url().split('/').pop()!;

    await expect.poll(status).toBe('running');
    const body = await page.locator('main').innerText();
    expect(body).toContain('lenet-rollout v2');
    expect(body).toContain('group plant-a');
    expect(body).toContain('canary 25% → 100%');
    expect(body).toContain('shadow ≥95.0% agreement');
    expect(await page.getByRole('list', { name: 'waves' }).getByRole('listitem').count()).toBe(2);
    await page.getByRole('list', { name: 'history' }).getByText('created').first().waitFor();
    const api = (await sut.http.get(`/api/rollouts/${rolloutId}`).expect(200)).body;
    expect(api).toMatchObject({ target: { group: 'plant-a' }, strategy: { kind: 'canary', waves: [25, 100], bakeTimeS: 0 }, gates: { shadow: { minAgreement: 0.95 } }, note: 'browser canary', createdBy: actor });
    await expect.poll(() => page.getByLabel('device states').innerText()).toContain('total 4');
    await page.getByText('● live').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/rollout.png`, fullPage: true });
  });

  it('shows a 409 conflict clearly when another rollout would take the same devices', async () => {
    await page.goto(`${base}/rollouts/new?model=${modelId}&version=2`);
    const form = page.getByRole('form', { name: 'new rollout' });
    await expect.poll(() => form.getByLabel('Version').inputValue()).toBe('2');
    await form.getByLabel('all at once').check();
    await form.getByRole('button', { name: 'Start rollout' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/Conflict:.*Supersede/s);
    // The whole fleet was asked for: both active rollouts are in the way, and linked.
    const links = await alert.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links.sort()).toEqual([`/rollouts/${rolloutId}`, `/rollouts/${olderActiveId}`].sort());
    expect(page.url()).toContain('/rollouts/new');
  });

  it('follows a status change made through the API without a reload, and steers the rollout with confirmed buttons', async () => {
    await page.goto(`${base}/rollouts/${rolloutId}`);
    await page.getByText('● live').waitFor();
    await sut.http.post(`/api/rollouts/${rolloutId}/pause`).send({ actor: 'ops-bot', reason: 'maintenance window' }).expect(200);
    // The socket event brings it in at once (polling would take up to 5 s; the poll below allows 4).
    await expect.poll(status, { timeout: 4_000, interval: 100 }).toBe('paused');
    await page.getByTestId('rollout-reason').getByText('maintenance window').waitFor();
    await page.getByRole('list', { name: 'history' }).getByText('paused').first().waitFor();

    await page.getByRole('button', { name: 'Resume' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (optional)').fill('window over');
    await dialog.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(status).toBe('running');
    expect((await sut.http.get(`/api/rollouts/${rolloutId}`)).body.status).toBe('running');

    await page.getByRole('button', { name: 'Abort' }).click();
    // A reason is required to abort.
    await dialog.getByRole('button', { name: 'Abort' }).click();
    await dialog.getByText('say why').waitFor();
    await dialog.getByLabel('Reason').fill('wrong model');
    await dialog.getByRole('button', { name: 'Abort' }).click();
    await expect.poll(status).toMatch(/rolling back|rolled back/);
    const events = (await sut.http.get(`/api/rollouts/${rolloutId}/events`)).body.items as { kind: string; actor: string; reason: string | null }[];
    expect(events.find((e) => e.kind === 'resumed')).toMatchObject({ actor, reason: 'window over' });
    expect(events.some((e) => e.reason === 'wrong model')).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}/rollout-aborted.png`, fullPage: true });
  });

  it('lists rollouts, active ones first', async () => {
    await page.goto(`${base}/rollouts`);
    const active = page.getByRole('table', { name: 'active rollouts' }).locator('tbody tr');
    await expect.poll(() => active.count()).toBe(1);
    expect(await active.first().getAttribute('data-testid')).toBe(`rollout-${olderActiveId}`);
    const all = page.getByRole('table', { name: 'rollouts', exact: true }).locator('tbody tr');
    await expect.poll(() => all.count()).toBe(2);
    // Newer, but finished: after the older active one.
    expect(await all.first().getAttribute('data-testid')).toBe(`rollout-${olderActiveId}`);
    expect(await all.nth(1).innerText()).toMatch(/rolling back|rolled back/);
    await page.screenshot({ path: `${SCREENSHOTS}/rollouts.png`, fullPage: true });

    // The version page lists its rollouts, active first, linked.
    await page.goto(`${base}/models/${modelId}/versions/2`);
    const links = page.getByRole('list', { name: 'rollouts of this version' }).getByRole('link');
    await expect.poll(() => links.count()).toBe(2);
    expect(await links.first().getAttribute('href')).toBe(`/rollouts/${olderActiveId}`);
    expect(pageErrors).toEqual([]);
  });
});
