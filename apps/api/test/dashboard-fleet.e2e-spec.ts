import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnPageErrors, launchBrowser, listen, logIn, SCREENSHOTS } from './dashboard-harness.js';
import { createToken, createVersion, enroll, type Enrolled, LENET } from './device-fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

const MiB = 1024 * 1024;

/**
 * The fleet pages in a real browser against the real API: devices enrolled over HTTP with real enrollment
 * tokens, heartbeats and telemetry posted with their own credentials.
 */
describe('dashboard: devices and telemetry in a real browser', () => {
  let sut: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  let pageErrors: string[];
  let cam: Enrolled;
  let gw: Enrolled;
  let version: { modelId: string; versionId: string; number: number };

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    base = await listen(sut);
    const plantA = await createToken(sut, { name: 'plant-a cams', group: 'plant-a', tags: ['cam', 'eu'] });
    const plantB = await createToken(sut, { name: 'plant-b gateways', group: 'plant-b', tags: ['gw'] });
    cam = await enroll(sut, plantA.token, { arch: 'aarch64', cpuModel: 'Cortex-A72', ramBytes: 4096 * MiB }, 'cam-1');
    gw = await enroll(sut, plantB.token, { arch: 'x86_64', cpuModel: 'Atom x6425E', cpuCores: 4, accelerators: [{ kind: 'gpu', name: 'Iris Xe' }] }, 'gw-1');
    const revoked = await enroll(sut, plantB.token, {}, 'gw-old');
    await sut.http.post(`/api/devices/${revoked.deviceId}/revoke`).expect(200);
    // cam-1 is heard from (online); gw-1 never sends a heartbeat (offline).
    await sut.http.post('/api/device/heartbeat').set('authorization', cam.auth).send({ health: 'degraded', error: { code: 'install/probe_failed', message: 'output 0 differs' } }).expect(200);
    version = await createVersion(sut, 'lenet-fleet');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await logIn(page, base, sut);
    pageErrors = failOnPageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await sut?.close();
  });

  it('lists enrolled devices with status, counts per status, and filters them', async () => {
    await page.goto(`${base}/devices`);
    const table = page.getByRole('table', { name: 'devices' });
    await table.getByRole('link', { name: 'cam-1' }).waitFor();
    await expect.poll(() => page.getByTestId('count-online').innerText()).toBe('1');
    await expect.poll(() => page.getByTestId('count-offline').innerText()).toBe('1');
    await expect.poll(() => page.getByTestId('count-revoked').innerText()).toBe('1');
    const camRow = await page.getByTestId('device-cam-1').innerText();
    expect(camRow).toContain('plant-a');
    expect(camRow).toContain('online');
    expect(camRow).toContain('degraded');
    expect(camRow).toContain('arm64-cpu-int8');
    expect(camRow).toMatch(/just now|s ago/);
    expect(await page.getByTestId('device-gw-1').innerText()).toContain('offline');

    await page.getByLabel('filter by group').fill('plant-b');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    await expect.poll(() => page.getByTestId('device-cam-1').count()).toBe(0);
    await page.getByLabel('filter by status').selectOption('revoked');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    expect(await table.innerText()).toContain('gw-old');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('filter by tag').fill('cam');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    expect(await table.innerText()).toContain('cam-1');
    await page.screenshot({ path: `${SCREENSHOTS}/devices.png`, fullPage: true });
  });

  it('creates an enrollment token, shows it once with a copy button, and the token enrolls a device', async () => {
    await page.goto(`${base}/devices`);
    await page.getByRole('button', { name: 'Enrollment tokens' }).click();
    const form = page.getByRole('form', { name: 'new enrollment token' });
    await form.getByLabel('Name').fill('line-9');
    await form.getByLabel('Group').fill('plant-c');
    await form.getByLabel('Tags').fill('cam, night');
    await form.getByLabel('Max uses').fill('2');
    await form.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').innerText()).trim();
    expect(token).toMatch(/^eft_/);
    await expect(page.getByRole('status', { name: 'new token' }).getByRole('button', { name: 'Copy' }).isVisible()).resolves.toBe(true);
    await page.getByTestId('token-line-9').waitFor();
    expect(await page.getByTestId('token-line-9').innerText()).toMatch(/0 \/ 2/);
    await page.screenshot({ path: `${SCREENSHOTS}/enrollment-token.png`, fullPage: true });

    // Shown once: after a reload only the list remains, without the secret.
    await page.reload();
    await page.getByRole('button', { name: 'Enrollment tokens' }).click();
    await page.getByTestId('token-line-9').waitFor();
    expect(await page.getByTestId('new-token').count()).toBe(0);
    expect(await page.locator('main').innerText()).not.toContain(token);

    const d = await enroll(sut, token, {}, 'night-cam');
    expect((await sut.http.get(`/api/devices/${d.deviceId}`).expect(200)).body).toMatchObject({ group: 'plant-c', tags: ['cam', 'night'] });
    await expect.poll(() => page.getByTestId('token-line-9').innerText(), { timeout: 15_000 }).toMatch(/1 \/ 2/);
  });

  it('shows device facts and last error, and assigns a version with the pickers', async () => {
    await page.goto(`${base}/devices/${cam.deviceId}`);
    const facts = page.getByLabel('facts', { exact: true });
    await facts.waitFor();
    const text = await facts.innerText();
    expect(text).toContain('aarch64');
    expect(text).toContain('Cortex-A72');
    expect(text).toContain('4.0 GiB');
    expect(text).toContain('1.22.0');
    expect(await page.getByLabel('last error').innerText()).toContain('install/probe_failed');

    const form = page.getByRole('form', { name: 'assign version' });
    await form.getByLabel('Model').selectOption({ label: 'lenet-fleet' });
    await form.getByLabel('Version').selectOption('1');
    await form.getByRole('button', { name: 'Assign' }).click();
    await form.getByRole('status').waitFor();
    await expect.poll(async () => (await sut.http.get(`/api/devices/${cam.deviceId}`)).body.assignment).toMatchObject({ modelId: version.modelId, versionNumber: 1, source: 'manual' });
    await expect.poll(() => page.getByLabel('state').innerText()).toContain('lenet-fleet v1');

    // It still runs another version of the model (a switch in progress): named by number, not by id.
    const v2 = (await sut.http.post(`/api/models/${version.modelId}/versions`).attach('file', LENET, 'model.onnx').expect(201)).body;
    const running = { v: 1, versionId: v2.id, variantId: randomUUID(), sha256: 'a'.repeat(64) };
    await sut.http.post('/api/device/heartbeat').set('authorization', cam.auth).send({ health: 'ok', running }).expect(200);
    await expect.poll(() => page.getByLabel('state').innerText(), { timeout: 15_000 }).toMatch(/Running\s+lenet-fleet v2 \(switching\)/);

    // Edit: move it to another group and retag it.
    const edit = page.getByRole('form', { name: 'edit device' });
    await edit.getByLabel('Group').fill('plant-z');
    await edit.getByLabel('Tags').fill('cam, moved');
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await sut.http.get(`/api/devices/${cam.deviceId}`)).body).toMatchObject({ group: 'plant-z', tags: ['cam', 'moved'] });

    // The history card tells all of it, newest first; versions link to their page.
    const history = page.getByLabel('history', { exact: true });
    await expect
      .poll(() => history.locator('li strong').allInnerTexts(), { timeout: 15_000 })
      .toEqual(['Edited', 'Recovered', 'Started running', 'Assigned', 'Reported degraded', 'Enrolled']);
    const entries = history.locator('li');
    expect(await entries.nth(0).innerText()).toContain('group plant-a → plant-z');
    expect(await entries.nth(3).getByRole('link', { name: 'lenet-fleet v1' }).getAttribute('href')).toBe(`/models/${version.modelId}/versions/1`);
    expect(await entries.nth(3).innerText()).toContain('assigned by dashboard');
    expect(await entries.nth(4).innerText()).toContain('install/probe_failed: output 0 differs');
    expect(await entries.nth(5).innerText()).toContain('token “plant-a cams”');
    await page.screenshot({ path: `${SCREENSHOTS}/device.png`, fullPage: true });
  });

  it('revokes a device after confirmation', async () => {
    await page.goto(`${base}/devices/${gw.deviceId}`);
    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke device' }).click();
    await page.getByText(/Revoked .*no longer call the API/).waitFor();
    expect((await sut.http.get(`/api/devices/${gw.deviceId}`)).body.status).toBe('revoked');
  });

  it('draws telemetry and field accuracy after a device posts them with its credentials', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const bucket = (start: number, count: number, errors: number) => ({
      versionId: version.versionId,
      bucketStart: new Date(start).toISOString(),
      count,
      errors,
      histogram: [0, 0, count - 10, 10, 0, 0, 0, 0, 0, 0, 0],
    });
    await sut.http
      .post('/api/device/telemetry')
      .set('authorization', cam.auth)
      .send({ buckets: [bucket(minute - 120_000, 100, 2), bucket(minute - 60_000, 200, 1), bucket(minute, 50, 0)] })
      .expect(202);
    // Labels over two minutes, so the accuracy chart has a line and not a lone point.
    const items = Array.from({ length: 20 }, (_, i) => ({
      versionId: version.versionId,
      predictionId: `p${i}`,
      predicted: i % 10,
      label: i < 18 ? i % 10 : 0,
      at: new Date(minute - (i % 2) * 60_000 + 1000).toISOString(),
    }));
    await sut.http.post('/api/device/feedback').set('authorization', cam.auth).send({ items }).expect(202);

    await page.goto(`${base}/models/${version.modelId}/versions/1/telemetry`);
    const totals = page.getByLabel('telemetry totals');
    await totals.waitFor();
    await expect.poll(() => totals.innerText()).toContain('350');
    expect(await totals.innerText()).toContain('90.0%'); // 18 of 20 labels right
    for (const chart of ['Request rate', 'Error rate', 'Latency', 'Accuracy']) {
      const c = page.getByLabel(`${chart} chart`);
      // A flat line has no height, which Playwright calls hidden: wait for it in the DOM and check it joins points.
      const curve = c.locator('.recharts-line-curve').first();
      await curve.waitFor({ state: 'attached' });
      expect(await curve.getAttribute('d')).toMatch(/^M[\d.,]+[LC]/);
      expect(await c.locator('.recharts-line-dot, .recharts-dot').count()).toBeGreaterThanOrEqual(2);
    }
    await page.getByRole('button', { name: '24h' }).click();
    await page.waitForURL(/window=24h/);
    await expect.poll(() => totals.innerText()).toContain('350');
    await page.screenshot({ path: `${SCREENSHOTS}/telemetry.png`, fullPage: true });

    // The device's own figures: its page charts them, the fleet table shows the last hour's p95 and error rate.
    await page.goto(`${base}/devices/${cam.deviceId}`);
    await expect.poll(() => page.getByLabel('telemetry totals').innerText()).toContain('350');
    expect(await page.getByLabel('telemetry totals').innerText()).toContain('90.0%');
    await page.goto(`${base}/devices`);
    const row = page.getByTestId('device-cam-1');
    // 3 errors in 350 requests; p95 = 5 + 5 × 12.5/30 ms inside (5, 10].
    await expect.poll(() => row.getByTestId('error-rate').innerText()).toBe('0.9%');
    expect(await row.getByTestId('p95').innerText()).toBe('7.08 ms');
    await page.screenshot({ path: `${SCREENSHOTS}/devices-telemetry.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
