#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Agent } from '../agent.js';
import { DeviceClient } from '../client/device-client.js';
import { collectFacts } from '../facts.js';
import { defaultStateDir, IdentityStore } from '../state/identity-store.js';
import { platformPublicKey } from '../verify/manifest.js';

const USAGE = `usage:
  edgefleet-agent enroll --server URL --token T [--name NAME] [--state DIR]
  edgefleet-agent run [--state DIR] [--port N] [--threads N] [--wait S] [--heartbeat-ms N] [--flush-ms N]`;

const log = (msg: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);

async function enroll(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { server: { type: 'string' }, token: { type: 'string' }, name: { type: 'string' }, state: { type: 'string' } } });
  if (!values.server || !values.token) throw new Error(`enroll needs --server and --token\n${USAGE}`);
  const stateDir = values.state ?? defaultStateDir();
  const store = new IdentityStore(stateDir);
  if (await store.load()) throw new Error(`already enrolled (${store.file}); remove it to enroll again`);
  const res = await new DeviceClient(values.server, null).enroll({ token: values.token, facts: collectFacts(), ...(values.name ? { name: values.name } : {}) });
  platformPublicKey(res.platformKey); // refuse a key whose fingerprint does not match before pinning it
  await store.save({ v: 1, server: values.server, deviceId: res.deviceId, secret: res.secret, platformKey: res.platformKey, enrolledAt: new Date().toISOString() });
  log('enrolled', { deviceId: res.deviceId, keyFingerprint: res.platformKey.fingerprint, state: stateDir });
}

async function run(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: { state: { type: 'string' }, port: { type: 'string' }, threads: { type: 'string' }, wait: { type: 'string' }, 'heartbeat-ms': { type: 'string' }, 'flush-ms': { type: 'string' } },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const agent = new Agent({
    stateDir: values.state ?? defaultStateDir(),
    port: num(values.port),
    threads: num(values.threads),
    waitS: num(values.wait),
    heartbeatMs: num(values['heartbeat-ms']),
    flushMs: num(values['flush-ms']),
    log,
  });
  await agent.start();
  const shutdown = () => {
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'enroll') return enroll(rest);
  if (cmd === 'run') return run(rest);
  process.stderr.write(`${USAGE}\n`);
  process.exitCode = 2;
}

main().catch((err: Error) => {
  process.stderr.write(`edgefleet-agent: ${err.message}\n`);
  process.exit(1);
});
