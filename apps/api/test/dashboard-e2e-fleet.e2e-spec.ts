import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failOnPageErrors, launchBrowser, SCREENSHOTS } from './dashboard-harness.js';
import {
  type Digits,
  enrollAgent,
  type FleetAgent,
  loadDigits,
  type PlatformSetup,
  preparePlatform,
  type Proc,
  startAgent,
  startApiProcess,
  startTraffic,
  startWorkerProcess,
  type Traffic,
  until,
} from './fleet-processes.js';
import { scaledLenet } from './rollout-models.js';
import { fixture } from './test-app.js';
import { newApiKey } from '../src/auth/tokens.js';

/**
 * The journey the dashboard exists for, with nothing simulated: the built API (serving the built dashboard) and
 * worker as processes, four real `edgefleet-agent` processes serving MNIST digits with labels fed back, and
 * Debian's Chromium driven by a logged-in admin. Upload mnist-lenet5 → watch the pipeline live → enroll agents with
 * a token made on the page → canary a new version → watch devices move → roll back → watch them return. Then the
 * API goes down (SIGKILL) and comes back, and every page is checked at tablet width. Screenshots of each step go to
 * SCREENSHOTS/journey-*.png.
 */
const AGENTS = 4;
const GROUP = 'line-1';

interface ProgressWatch {
  snapshots: string[];
}

/**
 * Runs in the page: records every distinct state of the pipeline's job rows (`profile:status:percent …`) in
 * `window.__journey`, which a reload would wipe.
 */
const WATCH_JOBS = `(() => {
  const w = window;
  w.__journey = { snapshots: [] };
  const snap = () => [...document.querySelectorAll('li.job')]
    .map((li) => li.querySelector('.job-profile')?.textContent + ':' + li.querySelector('.badge')?.textContent + ':' + li.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow'))
    .join(' ');
  const record = () => {
    const s = snap();
    if (s && s !== w.__journey.snapshots.at(-1)) w.__journey.snapshots.push(s);
  };
  record();
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
})()`;

describe('dashboard journey with real agents, API and worker processes', () => {
  let platform: PlatformSetup;
  let dataDir: string;
  let env: Record<string, string>;
  let base: string;
  let api: Proc;
  let worker: Proc;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let digits: Digits;
  let traffic: Traffic | null = null;
  const agents: FleetAgent[] = [];
  let modelId: string;
  let profileCount: number;
  let rolloutId: string;
  const versionIds: Record<number, string> = {};
  const admin = { email: `ops-${randomUUID().slice(0, 8)}@journey.test`, password: 'journey test password' };

  const apiKey = newApiKey();
  const http = async <T = any>(method: string, url: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}/api${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const shot = (name: string) => page.screenshot({ path: `${SCREENSHOTS}/journey-${name}.png`, fullPage: true });
  const diagnostics = () => [`api: ${api?.log.slice(-1500)}`, `worker: ${worker?.log.slice(-1500)}`, ...agents.map((a) => `${a.name}: ${a.proc.log.slice(-600)}`)].join('\n');
  /** The version each of our agents reports running, by device id. */
  const running = async () => {
    const { items } = await http<{ items: { id: string; running: { versionId: string } | null }[] }>('GET', `/devices?group=${GROUP}&limit=100`);
    return items.map((d) => d.running?.versionId ?? null);
  };
  const onVersion = async (n: number) => (await running()).filter((v) => v === versionIds[n]).length;
  /** What the Devices table says each device runs (its Running column), in table order. */
  const runningColumn = () => page.getByRole('table', { name: 'devices' }).locator('tbody tr td:nth-child(7)').allInnerTexts();
  const countRunning = async (label: string) => (await runningColumn()).filter((t) => t.trim() === label).length;
  const go = async (nav: string) => {
    // Client-side navigation through the sidebar, as a person clicks it.
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: nav, exact: true }).click();
  };

  beforeAll(async () => {
    platform = await preparePlatform('journey', apiKey, { AUTO_PIPELINES: 'true', EVAL_MAX_SAMPLES: '500' });
    ({ dataDir, env, apiUrl: base } = platform);
    api = await startApiProcess(base, env);
    worker = await startWorkerProcess(env);
    await http('POST', '/users', { ...admin, role: 'admin' });
    profileCount = (await http<{ items: unknown[] }>('GET', '/profiles')).items.length;
    expect(profileCount).toBeGreaterThan(1);
    digits = await loadDigits(600);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    pageErrors = failOnPageErrors(page);
  }, 90_000);

  // One journey: a failed step leaves nothing for the next ones to stand on, so they stop at once.
  let failedStep: string | null = null;
  beforeEach(() => {
    if (failedStep) throw new Error(`an earlier step failed: ${failedStep}`);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || failedStep) return;
    failedStep = ctx.task.name;
    await page?.screenshot({ path: `${SCREENSHOTS}/journey-failed.png`, fullPage: true }).catch(() => undefined);
    const text = await page?.locator('body').innerText().catch(() => '');
    console.error(`journey failed at "${failedStep}" on ${page?.url()}\npage: ${text?.slice(0, 3000)}\n${diagnostics()}`);
  });

  afterAll(async () => {
    await traffic?.stop();
    await browser?.close();
    await Promise.all(agents.map((a) => a.proc.stop()));
    await worker?.stop();
    await api?.stop();
    await platform?.cleanup();
  });

  it('logs in, creates a model, uploads mnist-lenet5 and shows its inspection', async () => {
    await page.goto(`${base}/models`);
    await page.waitForURL(/\/login/);
    const login = page.getByRole('form', { name: 'log in' });
    await login.getByLabel('Email').fill(admin.email);
    await login.getByLabel('Password').fill(admin.password);
    await login.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Models' }).waitFor();

    await page.getByRole('button', { name: 'New model' }).click();
    await page.getByPlaceholder('lenet').fill('digits');
    await page.getByRole('button', { name: 'Create model' }).click();
    await page.getByRole('link', { name: 'digits' }).click();
    await page.waitForURL(/\/models\/[0-9a-f-]{36}$/);
    modelId = page.url().split('/').pop()!;

    await page.getByLabel('an .onnx model file').setInputFiles(fixture('models/mnist-lenet5/model.onnx'));
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const inspection = page.getByLabel('inspection');
    await inspection.waitFor({ timeout: 30_000 });
    expect(await inspection.innerText()).toContain('61.71k');
    await shot('1-model');
  });

  it('shows the pipeline progress live and fills the variants table without a reload; takes labelled digits for later runs', async () => {
    await page.getByRole('link', { name: /^v1\b/ }).first().click();
    await page.waitForURL(/\/versions\/1$/);
    // Record every state the job rows pass through, and prove later that the page was never reloaded.
    await page.evaluate(WATCH_JOBS);
    const recommended = page.locator('main table').getByLabel('recommended', { exact: true });
    await expect.poll(() => recommended.count(), { timeout: 180_000, interval: 500 }).toBe(profileCount);
    const watch = await page.evaluate<ProgressWatch | undefined>('window.__journey');
    // Still the same document: every change below arrived over the socket or by polling.
    expect(watch, 'the page was reloaded').toBeDefined();
    const snapshots = watch!.snapshots;
    expect(snapshots.length, snapshots.join('\n')).toBeGreaterThanOrEqual(2);
    expect(snapshots.some((s) => /:(queued|running):/.test(s)), snapshots.join('\n')).toBe(true);
    expect(snapshots.at(-1)!.split(' ').every((job) => job.endsWith(':succeeded:100')), snapshots.at(-1)).toBe(true);
    // A job's bar moved through at least one value between empty and full.
    expect(snapshots.some((s) => s.split(' ').some((job) => /:running:([1-9]\d?)$/.test(job))), snapshots.join('\n')).toBe(true);

    await expect(page.getByLabel('size versus quality').isVisible()).resolves.toBe(true);
    versionIds[1] = (await http<{ id: string }>('GET', `/models/${modelId}/versions/1`)).id;
    await shot('2-version');

    await page.getByRole('link', { name: 'digits' }).click();
    // The team's own labelled digits: checked against the version's inputs, then used by later pipeline runs.
    const dataset = page.getByRole('form', { name: 'upload dataset' });
    await dataset.getByLabel('an .npz dataset file').setInputFiles(fixture('npz/mnist-eval-9k.npz'));
    await dataset.getByLabel('Purpose').selectOption('evaluation');
    await dataset.getByRole('button', { name: 'Upload dataset' }).click();
    await dataset.getByText(/stored: 9000 samples/).waitFor({ timeout: 30_000 });
  }, 240_000);

  it('creates an enrollment token on the Devices page; agents enrolled with it appear online', async () => {
    await go('Devices');
    await page.getByRole('button', { name: 'Enrollment tokens' }).click();
    const form = page.getByRole('form', { name: 'new enrollment token' });
    await form.getByLabel('Name').fill('line 1 cameras');
    await form.getByLabel('Group').fill(GROUP);
    await form.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').innerText()).trim();
    await shot('3-token');

    const enrolled = await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        const name = `cam-${i + 1}`;
        const stateDir = path.join(dataDir, name);
        return { name, stateDir, deviceId: await enrollAgent(base, token, stateDir, name) };
      }),
    );
    agents.push(...(await Promise.all(enrolled.map(startAgent))));
    const table = page.getByRole('table', { name: 'devices' });
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 20_000 }).toBe(AGENTS);
    await expect.poll(() => page.getByTestId('count-online').innerText(), { timeout: 20_000 }).toBe(String(AGENTS));

    // The line runs v1 (assigned to the group at once), serving digits and feeding labels back.
    await http('POST', '/assignments', { modelId, version: 1, target: { group: GROUP } });
    await until('every agent on v1', async () => (await onVersion(1)) === AGENTS, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${diagnostics()}`);
    });
    traffic = startTraffic(agents, digits, 25);
    await expect.poll(() => countRunning('digits v1'), { timeout: 20_000 }).toBe(AGENTS);
    await shot('4-devices');
  }, 120_000);

  it('starts a canary of v2 from its page, shows the first wave move to it while the rest stay, then rolls it back', async () => {
    // v2 arrives the way a CI job would send it: through the API, compressed by the same pipeline.
    const form = new FormData();
    form.set('file', new Blob([await scaledLenet()]), 'digits-v2.onnx');
    const res = await fetch(`${base}/api/models/${modelId}/versions`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: form });
    expect(res.status, await res.clone().text()).toBe(201);
    versionIds[2] = ((await res.json()) as { id: string }).id;
    await until(
      'the v2 pipeline',
      async () => (await http<{ items: { status: string }[] }>('GET', `/models/${modelId}/versions/2/pipelines`)).items[0]?.status === 'succeeded',
      180_000,
    );

    await page.goto(`${base}/models/${modelId}/versions/2`);
    // v2's variants were judged on the labelled digits uploaded with v1.
    await expect.poll(() => page.locator('main table').getByLabel('recommended', { exact: true }).count(), { timeout: 20_000 }).toBe(profileCount);
    expect(await page.locator('main table').first().innerText()).toMatch(/\d+\.\d+% accuracy/);
    await page.getByRole('link', { name: 'Roll out' }).click();
    const rollout = page.getByRole('form', { name: 'new rollout' });
    await expect.poll(() => rollout.getByLabel('Version').inputValue(), { timeout: 20_000 }).toBe('2');
    await rollout.getByLabel('a group').check();
    await rollout.getByLabel('Group', { exact: true }).fill(GROUP);
    await expect.poll(() => rollout.getByLabel('rollout preview').innerText(), { timeout: 20_000 }).toMatch(new RegExp(`${AGENTS} devices would receive the version`));
    await rollout.getByLabel('Waves (cumulative %)').fill('50, 100');
    // A long bake keeps the canary in its first wave until the operator decides.
    await rollout.getByLabel('Bake time per wave (s)').fill('900');
    await shot('5-new-rollout');
    await rollout.getByRole('button', { name: 'Start rollout' }).click();
    await page.waitForURL(/\/rollouts\/[0-9a-f-]{36}$/);
    rolloutId = page.url().split('/').pop()!;

    // The first wave's two devices switch; the page follows them live.
    await expect.poll(() => page.getByTestId('state-running').innerText().catch(() => ''), { timeout: 60_000, interval: 300 }).toMatch(/running\s*2/);
    await expect.poll(() => page.getByTestId('wave-0').innerText(), { timeout: 20_000 }).toMatch(/baking/);
    await until('two agents on v2', async () => (await onVersion(2)) === 2 && (await onVersion(1)) === 2, 30_000);
    await shot('6-canary');

    await go('Devices');
    await expect.poll(() => countRunning('digits v2'), { timeout: 20_000 }).toBe(2);
    expect(await countRunning('digits v1')).toBe(2);
    await shot('7-devices-canary');

    await page.goBack();
    await page.getByRole('button', { name: 'Roll back' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('latency complaints from line 1');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await expect.poll(() => page.getByTestId('rollout-status').innerText(), { timeout: 30_000, interval: 200 }).toBe('rolled back');
    await expect.poll(() => page.getByTestId('state-rolled_back').innerText(), { timeout: 30_000 }).toMatch(/rolled back\s*2/);
    await until('every agent back on v1', async () => (await onVersion(1)) === AGENTS, 60_000);
    // The status comes with the socket event; the history is a list query refetched after it.
    await expect.poll(() => page.getByRole('list', { name: 'history' }).innerText(), { timeout: 15_000 }).toContain('latency complaints from line 1');
    await shot('8-rolled-back');

    await go('Devices');
    await expect.poll(() => countRunning('digits v1'), { timeout: 20_000 }).toBe(AGENTS);
    expect(traffic!.failed, traffic!.errors.join('\n')).toBe(0);
    await shot('9-devices-returned');
  }, 360_000);

  it('charts field accuracy and latency per version with the rollout marked', async () => {
    await page.goto(`${base}/models/${modelId}/versions/2/telemetry`);
    const totals = page.getByLabel('telemetry totals');
    await expect.poll(() => totals.innerText(), { timeout: 20_000 }).toMatch(/\d+\.\d%/);
    for (const chart of ['Request rate', 'Latency', 'Accuracy']) await page.getByLabel(`${chart} chart`).locator('.recharts-line-curve').first().waitFor({ state: 'attached' });
    // The canary's start and rollback are drawn on the charts.
    await expect.poll(() => page.getByLabel('Accuracy chart').locator('.recharts-reference-line').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await page.getByLabel('Accuracy chart').innerText()).toMatch(/rollout[\s\S]*rolled back/);
    await shot('10-feedback');
  });

  it('shows a clear banner while the API is down, keeps the devices serving, and recovers when it is back', async () => {
    await page.goto(`${base}/devices`);
    await expect.poll(() => countRunning('digits v1'), { timeout: 20_000 }).toBe(AGENTS);
    const sentBefore = traffic!.sent;
    await api.stop('SIGKILL');
    const banner = page.getByRole('alert').filter({ hasText: 'API unreachable' });
    await banner.waitFor({ timeout: 30_000 });
    // The table stays on screen, said to be stale once its refresh fails, rather than a blank page or an error.
    await page.getByRole('status').filter({ hasText: /Could not refresh/ }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('table', { name: 'devices' }).isVisible()).toBe(true);
    expect(await countRunning('digits v1')).toBe(AGENTS);
    await shot('11-api-down');
    // The agents keep serving from their local copy while the control plane is away.
    await until('requests served during the outage', async () => traffic!.sent > sentBefore + 20, 20_000);
    expect(traffic!.failed, traffic!.errors.join('\n')).toBe(0);

    api = await startApiProcess(base, env);
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByRole('link', { name: 'cam-1' }).click();
    await page.getByLabel('facts', { exact: true }).waitFor();
  }, 90_000);

  it('fits a tablet screen: no page scrolls sideways', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    const pages = {
      models: '/models',
      model: `/models/${modelId}`,
      version: `/models/${modelId}/versions/1`,
      telemetry: `/models/${modelId}/versions/2/telemetry`,
      devices: '/devices',
      device: `/devices/${agents[0]!.deviceId}`,
      rollouts: '/rollouts',
      rollout: `/rollouts/${rolloutId}`,
      'new-rollout': `/rollouts/new?model=${modelId}&version=2`,
      profiles: '/profiles',
    };
    for (const [name, url] of Object.entries(pages)) {
      await page.goto(`${base}${url}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, `${name} is ${overflow}px wider than the screen`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${SCREENSHOTS}/journey-tablet-${name}.png`, fullPage: true });
    }
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
