import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../src/auth/tokens.js';
import { enrollAgent, type FleetAgent, type PlatformSetup, preparePlatform, type Proc, startAgent, startApiProcess, until } from './fleet-processes.js';

/**
 * Stopping the built API while agents are connected: their keep-alive connections, long polls, sockets and heartbeats
 * never go quiet on their own, so a stop that waited for them never ended (seen: still serving 90 s after SIGTERM).
 */
describe('API stop with agents connected (real processes)', () => {
  let platform: PlatformSetup;
  let api: Proc;
  let agent: FleetAgent;
  const apiKey = newApiKey();

  beforeAll(async () => {
    platform = await preparePlatform('shutdown', apiKey, { AUTO_PIPELINES: 'false', LOG_LEVEL: 'info' });
    api = await startApiProcess(platform.apiUrl, platform.env);
    const res = await fetch(`${platform.apiUrl}/api/enrollment-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'line' }),
    });
    const { token } = (await res.json()) as { token: string };
    const stateDir = path.join(platform.dataDir, 'cam');
    agent = await startAgent({ name: 'cam', stateDir, deviceId: await enrollAgent(platform.apiUrl, token, stateDir, 'cam') });
  });

  afterAll(async () => {
    await agent?.proc.stop();
    await api?.stop('SIGKILL');
    await platform?.cleanup();
  });

  it('answers a waiting long poll, finishes within seconds on SIGTERM with nothing cut, and the agent keeps serving', async () => {
    const identity = JSON.parse(await fs.readFile(path.join(agent.stateDir, 'identity.json'), 'utf8')) as { deviceId: string; secret: string };
    const auth = { authorization: `Bearer ${identity.deviceId}.${identity.secret}` };
    const first = await fetch(`${platform.apiUrl}/api/device/desired`, { headers: auth });
    const etag = first.headers.get('etag')!;
    // A poll that would hold its connection for a minute, and the agent's own traffic (heartbeats every 400 ms).
    const poll = fetch(`${platform.apiUrl}/api/device/desired?wait=60`, { headers: { ...auth, 'if-none-match': etag } });
    await until('the agent heartbeating', async () => /device\/heartbeat/.test(api.log) || (await platform.db.device.count({ where: { lastSeenAt: { not: null } } })) > 0);
    await new Promise((r) => setTimeout(r, 500));

    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => api.child.once('exit', (code) => resolve(code)));
    api.child.kill('SIGTERM');
    const polled = await poll;
    const answeredMs = Date.now() - started;
    const code = await exited;
    const stoppedMs = Date.now() - started;

    expect(polled.status).toBe(304);
    expect(answeredMs).toBeLessThan(5_000);
    expect(code, api.log.slice(-2000)).toBe(0);
    expect(stoppedMs).toBeLessThan(10_000);
    const stopped = /\{[^\n]*"msg":"stopped"[^\n]*\}/.exec(api.log)?.[0];
    expect(stopped, api.log.slice(-2000)).toBeDefined();
    expect(JSON.parse(stopped!)).toMatchObject({ cut: 0 });
    // The device does not notice beyond its next call failing: it serves on.
    expect(agent.proc.alive).toBe(true);
    expect((await fetch(`${agent.base}/v1/status`)).ok).toBe(true);
  });
});
