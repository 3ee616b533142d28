import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn } from './dashboard-harness.js';
import { createTestApp, fixture, type TestApp } from './test-app.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const WORKER = path.join(repoRoot, 'apps/worker/dist/main.worker.js');
const CHROMIUM = '/usr/bin/chromium';

/**
 * The whole platform as a user meets it: the API serving the built dashboard, a real worker process
 * compressing what the browser uploads, and Debian's Chromium driving the pages.
 */
describe('dashboard in a real browser', () => {
  let sut: TestApp;
  let worker: ChildProcess;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), 'Debian chromium is required (.ci/run installs it)').toBe(true);
    expect(existsSync(WORKER), 'the worker must be built first').toBe(true);
    sut = await createTestApp({ AUTO_PIPELINES: 'true' });
    await sut.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(sut.app.getHttpServer().address() as AddressInfo).port}`;
    worker = spawn(process.execPath, [WORKER], {
      env: {
        ...process.env,
        DATABASE_URL: sut.config.databaseUrl,
        REDIS_URL: sut.config.redisUrl,
        DATA_DIR: sut.config.dataDir,
        QUEUE_PREFIX: sut.config.queue.prefix,
        EVAL_MAX_SAMPLES: '64',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await logIn(page, base, sut);
  });

  afterAll(async () => {
    await browser?.close();
    worker?.kill('SIGTERM');
    await sut?.close();
  });

  it('serves the dashboard on the API origin, client routes included', async () => {
    const res = await page.goto(`${base}/models`);
    expect(res?.status()).toBe(200);
    // The session is asked for first (when accounts are enforced), then the page renders.
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    // With credentials: an unknown API route is a 404, not the dashboard's index.html.
    await sut.http.get('/api/nope').expect(404);
  });

  it('creates a model, uploads a version and shows its inspection', async () => {
    await page.goto(`${base}/models`);
    await page.getByRole('button', { name: 'New model' }).click();
    await page.getByPlaceholder('lenet').fill('lenet-browser');
    await page.getByRole('button', { name: 'Create model' }).click();
    await page.getByRole('link', { name: 'lenet-browser' }).click();
    await page.waitForURL(/\/models\/[0-9a-f-]{36}$/);

    await page.getByLabel('an .onnx model file').setInputFiles(fixture('models/mnist-lenet5/model.onnx'));
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const inspection = page.getByLabel('inspection');
    await inspection.waitFor({ timeout: 30_000 });
    const text = await inspection.innerText();
    expect(text).toContain('Conv');
    expect(text).toContain('61.71k'); // 61,706 parameters, shown compactly
    await page.screenshot({ path: '/tmp/edgefleet-model-page.png', fullPage: true });
  });

  it('shows the variants the worker produced for every profile, with a recommendation', async () => {
    const modelId = page.url().split('/').pop()!;
    await page.goto(`${base}/models/${modelId}/versions/1`);
    const profiles = (await sut.http.get('/api/profiles').expect(200)).body.items as { slug: string }[];
    // Live updates or the polling fallback bring the worker's results in without a reload.
    await page.getByLabel('recommended').first().waitFor({ timeout: 90_000 });
    await expect.poll(() => page.getByLabel('recommended').count(), { timeout: 90_000, interval: 500 }).toBeGreaterThanOrEqual(profiles.length);
    const body = await page.locator('main').innerText();
    for (const p of profiles) expect(body).toContain(p.slug);
    await expect(page.getByLabel('size versus quality').isVisible()).resolves.toBe(true);
    const runs = (await sut.http.get(`/api/models/${modelId}/versions/1/pipelines`).expect(200)).body as { items: { status: string }[] };
    expect(runs.items[0].status).toBe('succeeded');
    await page.screenshot({ path: '/tmp/edgefleet-version-page.png', fullPage: true });
  });
});
