#!/usr/bin/env node
import { parseArgs } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { Agent } from '../agent.js';
import { enrollIdentity } from '../enroll.js';
import { simulate } from '../simulate.js';
import { defaultStateDir } from '../state/identity-store.js';

const USAGE = `usage:
  edgefleet-agent enroll --server URL --token T [--name NAME] [--state DIR]
  edgefleet-agent run [--state DIR] [--port N] [--threads N] [--wait S] [--heartbeat-ms N] [--flush-ms N] [ROLLOUT OPTIONS]
  edgefleet-agent simulate --count N --server URL --token T [--state DIR] [--serve] [--no-push] [--threads N] [--wait S] [--heartbeat-ms N] [--flush-ms N] [ROLLOUT OPTIONS]

rollout options:
  --probation-requests N      inferences watched after a swap (default 20); --no-probation turns the watch off
  --probation-max-failures N  failures (throw or non-finite output) tolerated among them before swapping back (default 1)
  --shadow-concurrency N      shadow candidate runs at once (default 1)
  --shadow-isolation MODE     process (default for run: the candidate in a child process, ~85-120 MiB more RSS, served
                              requests never wait for it) or inline (in the agent's process; default for simulate)`;

const ROLLOUT_OPTIONS = {
  'probation-requests': { type: 'string' },
  'probation-max-failures': { type: 'string' },
  'no-probation': { type: 'boolean' },
  'shadow-concurrency': { type: 'string' },
  'shadow-isolation': { type: 'string' },
} as const;

function rolloutOptions(values: { 'probation-requests'?: string; 'probation-max-failures'?: string; 'no-probation'?: boolean; 'shadow-concurrency'?: string; 'shadow-isolation'?: string }) {
  const int = (name: string, v: string | undefined, min: number) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}\n${USAGE}`);
    return n;
  };
  const requests = int('probation-requests', values['probation-requests'], 1);
  const maxFailures = int('probation-max-failures', values['probation-max-failures'], 0);
  const shadowConcurrency = int('shadow-concurrency', values['shadow-concurrency'], 1);
  const isolation = values['shadow-isolation'];
  if (isolation !== undefined && isolation !== 'process' && isolation !== 'inline') throw new Error(`--shadow-isolation must be process or inline\n${USAGE}`);
  return {
    probation: values['no-probation'] ? (false as const) : { ...(requests !== undefined ? { requests } : {}), ...(maxFailures !== undefined ? { maxFailures } : {}) },
    ...(shadowConcurrency !== undefined ? { shadowConcurrency } : {}),
    ...(isolation !== undefined ? { shadowIsolation: isolation as 'process' | 'inline' } : {}),
  };
}

const log = (msg: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);

async function enroll(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { server: { type: 'string' }, token: { type: 'string' }, name: { type: 'string' }, state: { type: 'string' } } });
  if (!values.server || !values.token) throw new Error(`enroll needs --server and --token\n${USAGE}`);
  const stateDir = values.state ?? defaultStateDir();
  const res = await enrollIdentity({ server: values.server, token: values.token, stateDir, ...(values.name ? { name: values.name } : {}) });
  log('enrolled', { deviceId: res.deviceId, keyFingerprint: res.platformKey.fingerprint, state: stateDir });
}

async function run(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: { state: { type: 'string' }, port: { type: 'string' }, threads: { type: 'string' }, wait: { type: 'string' }, 'heartbeat-ms': { type: 'string' }, 'flush-ms': { type: 'string' }, ...ROLLOUT_OPTIONS },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const agent = new Agent({
    stateDir: values.state ?? defaultStateDir(),
    port: num(values.port),
    threads: num(values.threads),
    waitS: num(values.wait),
    heartbeatMs: num(values['heartbeat-ms']),
    flushMs: num(values['flush-ms']),
    ...rolloutOptions(values),
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

async function simulateCmd(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      state: { type: 'string' },
      serve: { type: 'boolean' },
      'no-push': { type: 'boolean' },
      threads: { type: 'string' },
      wait: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'flush-ms': { type: 'string' },
      ...ROLLOUT_OPTIONS,
    },
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || !values.server || !values.token) throw new Error(`simulate needs --count N (≥ 1), --server and --token\n${USAGE}`);
  const stateDir = values.state ?? path.join(os.tmpdir(), 'edgefleet-simulate');
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const started = performance.now();
  const sim = await simulate({
    count,
    server: values.server,
    token: values.token,
    stateDir,
    serve: values.serve === true,
    push: values['no-push'] !== true,
    threads: num(values.threads),
    waitS: num(values.wait),
    heartbeatMs: num(values['heartbeat-ms']),
    flushMs: num(values['flush-ms']),
    ...rolloutOptions(values),
    log,
  });
  log('simulating', { count, state: stateDir, startMs: Math.round(performance.now() - started), ports: values.serve ? sim.agents.map((a) => a.port) : undefined });
  const shutdown = () => {
    sim.stop().then(
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
  if (cmd === 'simulate') return simulateCmd(rest);
  process.stderr.write(`${USAGE}\n`);
  process.exitCode = 2;
}

main().catch((err: Error) => {
  process.stderr.write(`edgefleet-agent: ${err.message}\n`);
  process.exit(1);
});
