import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
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
