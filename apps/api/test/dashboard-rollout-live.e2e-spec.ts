import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnPageErrors, launchBrowser, listen, logIn, SCREENSHOTS } from './dashboard-harness.js';
import { createWorld, SimDevice, SimFleet, sleep, startWorker, type WorkerProcess, type World } from './rollouts.fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

/**
 * A canary rollout watched in the browser while it really runs: a worker process ticks the controller and
 * simulated devices follow their desired state, heartbeat and report telemetry over HTTP with their own
 * credentials. The page is never reloaded: what moves, moves by socket events and polling.
 */
describe('dashboard: a live canary rollout and its rollback in a real browser', () => {
  let sut: TestApp;
  let worker: WorkerProcess;
  let browser: Browser;
  let page: Page;
  let base: string;
  let pageErrors: string[];
  let world: World;
  let fleet: SimFleet;
  let stepping = true;
  let loop: Promise<void>;

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    base = await listen(sut);
    worker = await startWorker(sut, { ROLLOUT_TICK_MS: '200' });
    world = await createWorld(sut, 4, 'live');
    fleet = new SimFleet(world.devices.map((d) => new SimDevice(sut, d, () => ({ errors: 0 }))));
    await fleet.step(); // v1 running everywhere, with a baseline
    // The devices keep living in the background for the whole file.
    loop = (async () => {
      while (stepping) {
        await fleet.step();
        await sleep(200);
      }
    })();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await logIn(page, base, sut);
    pageErrors = failOnPageErrors(page);
  });

  afterAll(async () => {
    stepping = false;
    await loop;
    await browser?.close();
    await worker?.kill();
    await sut?.close();
  });

  const status = () => page.getByTestId('rollout-status').innerText();
  const devicesOnVersion = async (versionId: string) => {
    const states = await Promise.all(fleet.devices.map((d) => d.desired()));
    return states.every((s) => s.assignment?.version.id === versionId);
  };

  it('starts a canary from the form and shows waves pass their gates and devices move, without a reload', async () => {
    await page.goto(`${base}/rollouts/new?model=${world.modelId}&version=2`);
    const form = page.getByRole('form', { name: 'new rollout' });
    await expect.poll(() => form.getByLabel('Version').inputValue()).toBe('2');
    await form.getByLabel('a group').check();
    await form.getByLabel('Group', { exact: true }).fill(world.group);
    await form.getByLabel('Waves (cumulative %)').fill('50, 100');
    await form.getByLabel('Bake time per wave (s)').fill('1');
    await form.getByRole('checkbox', { name: 'p95 latency' }).uncheck();
    await form.getByLabel('Min requests').fill('20');
    await form.getByRole('button', { name: 'Start rollout' }).click();
    await page.waitForURL(/\/rollouts\/[0-9a-f-]{36}$/);

    await expect.poll(status, { timeout: 30_000, interval: 200 }).toBe('completed');
    for (const i of [0, 1]) {
      const wave = page.getByTestId(`wave-${i}`);
      await expect.poll(() => wave.innerText()).toMatch(/passed/);
      const gates = wave.getByRole('table');
      expect(await gates.innerText()).toMatch(/Error rate\s+0\.00%\s+0\.00%/);
      expect(await gates.locator('tbody tr').first().innerText()).toContain('pass');
    }
    await expect.poll(() => page.getByTestId('state-running').innerText(), { timeout: 15_000 }).toMatch(/running\s*4/);
    await expect.poll(() => page.getByRole('list', { name: 'history' }).innerText()).toContain('completed');
    expect(await devicesOnVersion(world.v2)).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}/rollout-completed.png`, fullPage: true });
  });

  it('rolls the completed rollout back with the button: the devices return to v1', async () => {
    await page.getByRole('button', { name: 'Roll back' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('customer complaint');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await expect.poll(status, { timeout: 30_000, interval: 200 }).toBe('rolled back');
    expect(await page.getByTestId('rollout-reason').innerText()).toContain('customer complaint');
    await expect.poll(() => page.getByTestId('state-rolled_back').innerText(), { timeout: 15_000 }).toMatch(/rolled back\s*4/);
    expect(await devicesOnVersion(world.v1)).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}/rollout-rolled-back.png`, fullPage: true });
    // A tablet in portrait: the navigation becomes a top bar, wide tables scroll inside their cards.
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.screenshot({ path: `${SCREENSHOTS}/rollout-tablet.png`, fullPage: true });
    await page.goto(`${base}/devices`);
    await page.getByRole('table', { name: 'devices' }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/devices-tablet.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
